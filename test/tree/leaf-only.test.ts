/**
 * Leaf-only members (TreeNodeDeps.leafOnly: in a real node, those reached
 * through relays, whose children would talk to them through a relay): when
 * such a member would get its first child, the root gives its position to the
 * public joiner and moves it to the new leaf. Simulated, over several seeds;
 * relayed nodes are named `via:…` like their real endpoints.
 */
import { describe, expect, it } from 'vitest'
import { SimOrganism } from '../helpers/tree-sim.js'

const leafOnly = (m: { endpoint: string }) => m.endpoint.startsWith('via:')

function mixed(seed: number, n: number, relayedEvery: number): SimOrganism {
  const o = new SimOrganism({ seed, nodes: n, maxChildren: 3, leafOnly })
  o.add([])
  for (let i = 1; i < n; i++) o.add([0], i % relayedEvery === 1 ? `via:relay-${i}` : undefined)
  expect(o.runUntilConverged(60_000)).toBeLessThan(60_000)
  expect(o.violations()).toEqual([])
  return o
}

describe('leaf-only members', () => {
  it('never get children while public joiners can take their place (8 seeds, 40 nodes, every third relayed)', () => {
    for (let seed = 1; seed <= 8; seed++) {
      const o = mixed(seed, 40, 3)
      const relayed = o.live().filter((n) => leafOnly({ endpoint: n.sim.endpoint }))
      expect(relayed.length).toBe(13)
      for (const n of relayed) expect({ seed, node: n.sim.endpoint, children: n.tree.view!.children.length }).toEqual({ seed, node: n.sim.endpoint, children: 0 })
      // The tree is whole: everyone is placed and a broadcast reaches everyone once.
      expect(o.roots()[0]!.tree.roster!.size).toBe(40)
      const bid = o.live()[5]!.tree.broadcast('test.hello', new Uint8Array([1]))
      o.sim.runFor(5_000)
      for (const n of o.live()) expect(n.deliveries.get(bid)).toBe(1)
    }
  })

  it('still form one tree when nearly everyone is relayed (no public joiner to swap with)', () => {
    const o = mixed(3, 20, 1)
    expect(o.roots()[0]!.tree.roster!.size).toBe(20)
  })

  it('heal like everyone else: the tree survives the death of interior public nodes and the root', () => {
    const o = mixed(5, 30, 3)
    const byPosition = (p: number) => o.live().find((n) => n.tree.view?.position === p)!
    o.crash(byPosition(2).index)
    o.crash(byPosition(1).index)
    expect(o.runUntilConverged(60_000)).toBeLessThan(60_000)
    expect(o.violations()).toEqual([])
    expect(o.roots()[0]!.tree.roster!.size).toBe(28)
  })
})

describe('a member that turns leaf-only after it got children', () => {
  // moveTo leaves first (the root repairs the position) and joins again; a node that could not leave
  // (it never learned its place: its parent could not reach it) comes back under the same id.
  for (const how of ['moves (leaving first)', 'comes back under the same id without leaving'] as const)
  it(`gives its position up (the last node fills it) and is placed again as a leaf when it ${how}`, () => {
    for (const seed of [1, 2, 3]) {
      const o = new SimOrganism({ seed, nodes: 20, maxChildren: 3, leafOnly })
      o.add([])
      for (let i = 1; i < 20; i++) o.add([0])
      expect(o.runUntilConverged(60_000)).toBeLessThan(60_000)
      const interior = o.live().find((n) => n.tree.view!.position === 3)!
      expect(interior.tree.view!.children.length).toBeGreaterThan(0)
      // It is now reached through relays: the same node at a via: endpoint.
      o.net.addEndpoint(interior.sim.id, `via:relay-of-${interior.index}`)
      if (how === 'moves (leaving first)') interior.tree.moveTo(`via:relay-of-${interior.index}`)
      else {
        interior.tree.stop()
        interior.tree.moveTo(`via:relay-of-${interior.index}`) // stopped: only the endpoint changes
        interior.tree.start([o.roots()[0]!.sim.endpoint])
      }
      expect(o.runUntilConverged(60_000)).toBeLessThan(60_000)
      expect(o.violations()).toEqual([])
      expect(interior.tree.view!.children).toEqual([])
      expect(interior.tree.status().endpoint).toBe(`via:relay-of-${interior.index}`)
      expect(o.roots()[0]!.tree.roster!.size).toBe(20)
    }
  })
})
