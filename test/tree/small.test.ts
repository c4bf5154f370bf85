import { describe, expect, it } from 'vitest'
import { SimOrganism } from '../helpers/tree-sim.js'

function organism(n: number, maxChildren = 3, seed: number | string = 1) {
  const o = new SimOrganism({ seed, nodes: n, maxChildren })
  o.add([])
  for (let i = 1; i < n; i++) o.add([0])
  const t = o.runUntilConverged(60_000)
  expect(o.violations()).toEqual([])
  expect(t).toBeLessThan(60_000)
  return o
}

describe('a small organism', () => {
  it('forms one tree from nodes joining through the first', () => {
    const o = organism(10)
    expect(o.roots()).toHaveLength(1)
    expect(o.roots()[0]!.tree.roster!.size).toBe(10)
  })

  it('heals a dead leaf, a dead interior node and a dead root', () => {
    const o = organism(13)
    const byPosition = (p: number) => o.live().find((n) => n.tree.view?.position === p)!
    o.crash(byPosition(13).index) // the last node
    expect(o.runUntilConverged(60_000)).toBeLessThan(60_000)
    o.crash(byPosition(3).index) // interior
    expect(o.runUntilConverged(60_000)).toBeLessThan(60_000)
    expect(o.live()).toHaveLength(11)
    o.crash(byPosition(1).index) // the root
    const t = o.runUntilConverged(60_000)
    expect(o.violations()).toEqual([])
    expect(t).toBeLessThan(60_000)
    expect(o.roots()[0]!.tree.roster!.size).toBe(10)
  })

  it('fails over within seconds when the root and its first deputy die together right after forming', () => {
    for (const seed of [1, 2, 3, 4]) {
      const o = organism(20, 3, seed)
      const byPosition = (p: number) => o.live().find((n) => n.tree.view?.position === p)!
      o.crash(byPosition(2).index)
      o.crash(byPosition(1).index)
      // The other deputies hold the roster (their first sync may have overtaken their assignment), so one
      // of them promotes the last node: a failover, not orphans founding new trees.
      expect(o.runUntilConverged(60_000)).toBeLessThan(8_000)
      expect(o.violations()).toEqual([])
      expect(o.live().reduce((sum, n) => sum + n.tree.events.failovers, 0)).toBe(1)
      expect(o.live().reduce((sum, n) => sum + n.tree.events.orphaned, 0)).toBe(0)
    }
  })

  it('delivers every broadcast exactly once, with N-1 copies in a stable tree', () => {
    const o = organism(20, 3)
    const sent = () => o.sim.metrics.kind('tree.bcast').sent
    const before = sent()
    const origin = o.live()[7]!
    const bid = origin.tree.broadcast('test.hello', new Uint8Array([1]))
    o.sim.runFor(5_000)
    for (const n of o.live()) expect(n.deliveries.get(bid)).toBe(1)
    expect(sent() - before).toBe(19)
  })
})
