/**
 * The organism at 1,000 nodes, maxChildren 10, on the deterministic simulator.
 * Every scenario ends with the structural invariants (one root per component,
 * positions 1..N unique and contiguous, parent arithmetic, reachability) and
 * exactly-once delivery of every broadcast to every node alive throughout.
 * A failure prints the seed; replay with BORG_SIM_SEED=<seed>.
 */
import { describe, expect, it } from 'vitest'
import { simSeed, withSeedOnFailure } from '../../src/core/sim/seed.js'
import type { LinkOptions } from '../../src/core/sim/link-model.js'
import { deliveryProblems, joinStorm, type SimMember, type SimOrganism } from '../helpers/tree-sim.js'

const N = 1000
const M = 10
const LINK = { latencyMs: 10, jitterMs: 5 }

function scenario(name: string, seed: number, body: (o: SimOrganism) => void, link: LinkOptions = LINK): void {
  const s = simSeed(seed)
  it(name, () => {
    let organism: SimOrganism | undefined
    withSeedOnFailure(
      s,
      () => {
        const built = joinStorm({ seed: s, nodes: N, maxChildren: M, link })
        organism = built.organism
        expect(organism.violations(), 'after the join storm').toEqual([])
        expect(built.convergedMs).toBeLessThan(60_000)
        body(organism)
      },
      () => organism?.sim,
    )
  })
}

function pick(o: SimOrganism, count: number): SimMember[] {
  const pool = o.live().slice()
  const out: SimMember[] = []
  while (out.length < count) out.push(pool.splice(o.sim.random.int(pool.length), 1)[0]!)
  return out
}

describe(`organism of ${N} nodes, maxChildren ${M}`, () => {
  scenario('join storm: one valid tree', 1, (o) => {
    expect(o.roots()).toHaveLength(1)
    expect(o.roots()[0]!.tree.roster!.size).toBe(N)
  })

  scenario('broadcast: exactly once everywhere, N-1 copies', 2, (o) => {
    for (const origin of pick(o, 5)) {
      const before = o.sim.metrics.kind('tree.bcast').sent
      const bid = origin.tree.broadcast('test.note', new Uint8Array([1, 2, 3]))
      o.sim.runFor(5_000)
      expect(deliveryProblems(o.live(), bid)).toEqual([])
      expect(o.sim.metrics.kind('tree.bcast').sent - before).toBe(N - 1)
    }
  })

  scenario('kill 10% at random including the root, broadcasting meanwhile', 3, (o) => {
    const root = o.roots()[0]!
    const victims = [root, ...pick(o, N / 10 + 5).filter((n) => n !== root)].slice(0, N / 10)
    for (const v of victims) o.crash(v.index)
    const survivors = o.live()
    const bids = [survivors[3]!.tree.broadcast('test.during', new Uint8Array([1]))]
    o.sim.runFor(2_000)
    bids.push(survivors[500]!.tree.broadcast('test.during', new Uint8Array([2])))
    const healed = o.runUntilConverged(120_000)
    expect(o.violations()).toEqual([])
    expect(healed).toBeLessThan(120_000)
    expect(o.roots()[0]!.tree.roster!.size).toBe(N - N / 10)
    o.sim.runFor(5_000)
    for (const bid of bids) expect(deliveryProblems(survivors, bid)).toEqual([])
  })

  scenario(
    'on a lossy network (1% loss, 1% duplicates): kill 10% including the root, broadcasting meanwhile',
    6,
    (o) => {
      const root = o.roots()[0]!
      const victims = [root, ...pick(o, N / 10 + 5).filter((n) => n !== root)].slice(0, N / 10)
      for (const v of victims) o.crash(v.index)
      const survivors = o.live()
      const bid = survivors[17]!.tree.broadcast('test.lossy', new Uint8Array([5]))
      const healed = o.runUntilConverged(180_000)
      expect(o.violations()).toEqual([])
      expect(healed).toBeLessThan(180_000)
      o.sim.runFor(10_000)
      expect(deliveryProblems(survivors, bid)).toEqual([])
    },
    { latencyMs: 10, jitterMs: 5, loss: 0.01, duplicate: 0.01 },
  )

  scenario('partition into two halves, then heal', 4, (o) => {
    o.sim.runFor(60_000) // a minute of ordinary life: contacts spread (peer sampling) before the cut
    const shuffled = pick(o, N)
    const halves = [shuffled.slice(0, N / 2), shuffled.slice(N / 2)]
    o.net.partition(halves.map((h) => h.map((n) => n.sim.id)))
    const split = o.runUntilConverged(180_000, () => halves)
    expect(o.violations(halves)).toEqual([])
    expect(split).toBeLessThan(180_000)
    // Each half works on its own: a broadcast reaches exactly its half.
    const bids = halves.map((h) => h[0]!.tree.broadcast('test.half', new Uint8Array([9])))
    o.sim.runFor(5_000)
    halves.forEach((h, i) => expect(deliveryProblems(h, bids[i]!)).toEqual([]))
    o.net.heal()
    const merged = o.runUntilConverged(300_000)
    expect(o.violations()).toEqual([])
    expect(merged).toBeLessThan(300_000)
    const bid = o.live()[123]!.tree.broadcast('test.whole', new Uint8Array([7]))
    o.sim.runFor(5_000)
    expect(deliveryProblems(o.live(), bid)).toEqual([])
  })

  scenario('joins during repair', 5, (o) => {
    for (const v of pick(o, 50)) o.crash(v.index)
    for (let i = 0; i < 100; i++) o.add([o.live()[o.sim.random.int(o.live().length)]!.index])
    const t = o.runUntilConverged(120_000)
    expect(o.violations()).toEqual([])
    expect(t).toBeLessThan(120_000)
    expect(o.roots()[0]!.tree.roster!.size).toBe(N - 50 + 100)
  })
})
