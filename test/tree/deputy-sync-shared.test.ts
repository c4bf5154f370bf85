/**
 * Deputies synced to the same epoch get the same delta: one encoding, kept for reuse (the
 * simulator's deputies then decode it once), and every replica still follows the root's roster.
 */
import { describe, expect, it } from 'vitest'
import { simSeed, withSeedOnFailure } from '../../src/core/sim/seed.js'
import { isReused } from '../../src/core/tree/body-pool.js'
import { KIND } from '../../src/core/tree/messages.js'
import { atPosition, joinStorm, type SimOrganism } from '../helpers/tree-sim.js'

describe('deputy sync', () => {
  it('sends deputies at the same epoch one shared delta, and their replicas keep up', () => {
    const seed = simSeed(43)
    let o: SimOrganism | undefined
    withSeedOnFailure(
      seed,
      () => {
        o = joinStorm({ seed, nodes: 200, maxChildren: 10, link: { latencyMs: 10, jitterMs: 5 } }).organism
        o.sim.runFor(5_000)
        const deputies = [2, 3, 4].map((p) => atPosition(o!, p))
        const bodies = new Map<number, Uint8Array[]>()
        for (const d of deputies) {
          const handler = d.sim.transport.handler!
          d.sim.transport.handler = (m, r) => {
            if (m.kind === KIND.sync) bodies.set(d.index, [...(bodies.get(d.index) ?? []), m.body])
            handler(m, r)
          }
        }
        // One joiner: one commit, one delta for the three deputies.
        o.add([atPosition(o, 50).index])
        o.sim.runFor(2_000)
        const firsts = deputies.map((d) => bodies.get(d.index)?.[0])
        expect(firsts.every((b) => b !== undefined)).toBe(true)
        expect(firsts[1]).toBe(firsts[0])
        expect(firsts[2]).toBe(firsts[0])
        expect(isReused(firsts[0]!)).toBe(true)
        const root = o.roots()[0]!.tree.roster!
        for (const d of deputies) {
          const replica = d.tree.roster!
          expect(replica.epoch).toEqual(root.epoch)
          expect(replica.size).toBe(root.size)
          expect(replica.at(root.size)!.id).toBe(root.at(root.size)!.id)
        }
        expect(o.violations()).toEqual([])
      },
      () => o?.sim,
    )
  })
})
