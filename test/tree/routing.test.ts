/**
 * Messages routed to one node or position (TreeNode.sendTo) in the simulator:
 * delivered once along the tree, and kept, not lost, while the addressee is
 * down, even when the root dies too, until it comes back.
 */
import { describe, expect, it } from 'vitest'
import { atPosition as at, convergedOrganism as organism, type SimOrganism } from '../helpers/tree-sim.js'

const SEEDS = process.env.BORG_SIM_SEED ? [Number(process.env.BORG_SIM_SEED)] : [1, 2, 3, 4, 5]
const text = (s: string) => new TextEncoder().encode(s)

const received = (o: SimOrganism, index: number, body: string) => o.directs.filter((d) => d.index === index && d.text === body).length

describe.each(SEEDS)('routed messages (seed %i)', (seed) => {
  it('reach a node id and a position exactly once', () => {
    const o = organism(20, seed)
    const from = at(o, 17)
    const to = at(o, 12)
    from.tree.sendTo({ node: to.sim.id }, 'test.note', text('to a node'))
    from.tree.sendTo({ position: 5 }, 'test.note', text('to a position'))
    o.sim.runFor(2_000)
    expect(received(o, to.index, 'to a node')).toBe(1)
    expect(received(o, at(o, 5).index, 'to a position')).toBe(1)
    expect(o.directs).toHaveLength(2)
  })

  it('wait for a dead interior node while the root dies too, and reach it once it restarts', () => {
    const o = organism(20, seed)
    const target = at(o, 2)
    const root = at(o, 1)
    const sender = at(o, 19)
    o.crash(target.index)
    o.crash(root.index)
    sender.tree.sendTo({ node: target.sim.id }, 'test.note', text('kept for you'))
    expect(o.runUntilConverged(60_000)).toBeLessThan(60_000)
    expect(received(o, target.index, 'kept for you')).toBe(0)
    o.sim.runFor(10_000) // the message is held somewhere meanwhile
    o.restart(target.index, [sender.index])
    expect(o.runUntilConverged(60_000)).toBeLessThan(60_000)
    o.sim.runFor(5_000)
    expect(received(o, target.index, 'kept for you')).toBe(1)
  })

  it('wait for the dead last node (the tree shrinks around it) and reach it once it restarts', () => {
    const o = organism(20, seed)
    const target = at(o, 20)
    const sender = at(o, 4)
    o.crash(target.index)
    sender.tree.sendTo({ node: target.sim.id }, 'test.note', text('after the shrink'))
    expect(o.runUntilConverged(60_000)).toBeLessThan(60_000)
    o.sim.runFor(10_000)
    o.restart(target.index, [sender.index])
    expect(o.runUntilConverged(60_000)).toBeLessThan(60_000)
    o.sim.runFor(5_000)
    expect(received(o, target.index, 'after the shrink')).toBe(1)
  })
})
