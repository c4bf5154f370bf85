/**
 * Attackers with valid keys against a simulated tree (docs/security.md): one
 * outside the tree and one inside it, each sending a couple of thousand forged
 * tree messages of every kind (forged roles, origins, terms, sizes, signatures)
 * while an honest broadcast goes round. Over several seeds: the tree
 * invariants hold, no honest node leaves its tree or rejoins, the root keeps
 * its place, the honest broadcast reaches every honest node exactly once, and
 * nothing is ever delivered under a forged origin.
 */
import { describe, expect, it } from 'vitest'
import { simSeed, withSeedOnFailure } from '../../src/core/sim/seed.js'
import { SimOrganism, deliveryProblems, type SimMember } from '../helpers/sim-organism.js'
import { Adversary, EVIL_KIND } from './adversary.js'

const N = 200
const FORGED = 2000
const EVERY_MS = 10

function attacked(seed: number, inside: boolean): void {
  let organism: SimOrganism | undefined
  withSeedOnFailure(
    simSeed(seed),
    () => {
      const o = (organism = new SimOrganism({ seed: simSeed(seed), nodes: N, maxChildren: 5, link: { latencyMs: 10, jitterMs: 5 } }))
      o.add([])
      for (let i = 1; i < N; i++) o.add([o.sim.random.int(i)])
      let adversary: Adversary
      let insider: SimMember | undefined
      if (inside) {
        insider = o.add([o.sim.random.int(N)])
        expect(o.runUntilConverged(60_000)).toBeLessThan(60_000)
        adversary = new Adversary(o, insider.sim, insider.sim.transport.handler)
      } else {
        expect(o.runUntilConverged(60_000)).toBeLessThan(60_000)
        adversary = new Adversary(o, o.net.addNode())
      }
      const honest = o.live().filter((n) => n !== insider)
      const root = o.roots()[0]!
      const before = new Map(honest.map((n) => [n, { treeId: n.tree.view!.treeId, ...n.tree.events }]))

      adversary.attack(FORGED, EVERY_MS)
      o.sim.runFor(5_000)
      const bid = honest[honest.length >> 1]!.tree.broadcast('test.note', new Uint8Array([1]))
      o.sim.runFor(FORGED * EVERY_MS)

      expect(adversary.sent).toBe(FORGED)
      expect(o.violations()).toEqual([])
      expect(o.roots()).toEqual([root])
      for (const n of honest) {
        const was = before.get(n)!
        expect({ node: n.index, treeId: n.tree.view?.treeId, state: n.tree.state, joins: n.tree.events.joins, dissolved: n.tree.events.dissolved, orphaned: n.tree.events.orphaned }).toEqual({
          node: n.index,
          treeId: was.treeId,
          state: n === root ? 'root' : 'member',
          joins: was.joins,
          dissolved: was.dissolved,
          orphaned: was.orphaned,
        })
      }
      expect(deliveryProblems(honest, bid)).toEqual([])
      // Nothing under a forged origin; an insider may speak as itself, as any member may.
      for (const [, record] of o.broadcasts) if (record.kind === EVIL_KIND || record.kind === 'tree.dissolve') expect(record.origin).toBe(adversary.self.id)
      for (const d of o.directs) if (d.kind === EVIL_KIND) expect(d.origin).toBe(adversary.self.id)
      if (!inside) expect([...o.broadcasts.values()].filter((r) => r.kind === EVIL_KIND)).toEqual([])
      // The attack was met with refusals, not just ignored.
      const refused = [...o.refused.values()].reduce((a, b) => a + b, 0)
      expect(refused).toBeGreaterThan(FORGED / 4)
    },
    () => organism?.sim,
  )
}

describe('an attacker outside the tree, with a valid key', () => {
  for (const seed of [1, 2, 3]) it(`changes nothing (seed ${seed})`, () => attacked(seed, false))
})

describe('an attacker inside the tree, a member with forged roles and origins', () => {
  for (const seed of [4, 5, 6]) it(`changes nothing but what a member may do (seed ${seed})`, () => attacked(seed, true))
})
