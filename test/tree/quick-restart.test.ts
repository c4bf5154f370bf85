/**
 * A node that crashes and comes straight back (same id, same address, fresh
 * state) before anyone noticed, as `kill -9` and a restart do: its old
 * neighbours must not take the new process's answers for the old one's. The
 * restarted root's children hear it answer their heartbeats from outside any
 * tree, so they suspect it and a deputy takes over; the restarted node, told
 * by its contacts that it is their root, does not follow that and joins the
 * tree once it has its new root. (The process test heal.test.ts got stuck
 * here: the old tree kept "hearing" its dead root for ever.)
 */
import { describe, expect, it } from 'vitest'
import { atPosition as at, convergedOrganism as organism } from '../helpers/tree-sim.js'

const SEEDS = process.env.BORG_SIM_SEED ? [Number(process.env.BORG_SIM_SEED)] : [1, 2, 3, 4, 5, 6]

describe.each(SEEDS)('a node restarted at once (seed %i)', (seed) => {
  it('the root: its old tree fails over and it joins again', () => {
    const o = organism(12, seed)
    const root = at(o, 1)
    const contact = at(o, 3)
    o.crash(root.index)
    o.restart(root.index, [contact.index]) // back before any heartbeat missed it
    expect(o.runUntilConverged(60_000)).toBeLessThan(60_000)
    expect(o.live()).toHaveLength(12)
    expect(o.roots()).toHaveLength(1)
    expect(o.roots()[0]!.index).not.toBe(root.index)
  })

  it('an interior node: the root repairs its place and it joins again', () => {
    const o = organism(12, seed)
    const interior = at(o, 2)
    o.crash(interior.index)
    o.restart(interior.index, [at(o, 4).index])
    expect(o.runUntilConverged(60_000)).toBeLessThan(60_000)
    expect(o.live()).toHaveLength(12)
    expect(o.violations()).toEqual([])
  })
})
