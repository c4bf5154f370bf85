/**
 * The tree battery both sim scripts run (scripts/sim-digests.ts prints its
 * digests; scripts/sim-sweep.ts runs it over many seeds and checks it): join
 * storm, broadcasts, routed messages, 10 % crashes with the root, graceful
 * leaves (root included), a partition into halves and its heal.
 */
import { SimOrganism, type SimMember } from '../../test/helpers/sim-organism.js'

function pick(o: SimOrganism, count: number, except: SimMember[] = []): SimMember[] {
  const pool = o.live().filter((n) => !except.includes(n))
  const out: SimMember[] = []
  while (out.length < count && pool.length > 0) out.push(pool.splice(o.sim.random.int(pool.length), 1)[0]!)
  return out
}

/** The battery's figures, and the organism as it ends (a sweep may run it on and look again). */
export function scenario(seed: number, lossy: boolean, N: number): Record<string, unknown> {
  return battery(seed, lossy, N).figures
}

export function battery(seed: number, lossy: boolean, N: number): { figures: Record<string, unknown>; organism: SimOrganism; lastBroadcast: string } {
  const link = lossy ? { latencyMs: 10, jitterMs: 5, loss: 0.01, duplicate: 0.01 } : { latencyMs: 10, jitterMs: 5 }
  const o = new SimOrganism({ seed, nodes: N, maxChildren: 5, link })
  o.add([])
  for (let i = 1; i < N; i++) o.add([o.sim.random.int(i)])
  const figures: Record<string, unknown> = { seed, lossy }
  figures.joinMs = o.runUntilConverged(120_000, undefined, 250)

  const bids = pick(o, 3).map((n, i) => n.tree.broadcast('test.note', new Uint8Array([i])))
  for (const [i, n] of pick(o, 3).entries()) n.tree.sendTo({ node: o.live()[i * 7]!.sim.id }, 'test.direct', new Uint8Array([i]))
  o.sim.runFor(3_000)
  figures.broadcastDeliveries = bids.map((bid) => o.broadcasts.get(bid)?.delivered ?? 0)
  figures.directs = o.directs.length

  const root = o.roots()[0]!
  for (const v of [root, ...pick(o, N / 10 - 1, [root])]) o.crash(v.index)
  const during = o.live()[5]!.tree.broadcast('test.during', new Uint8Array([9]))
  figures.churnHealMs = o.runUntilConverged(120_000)
  o.sim.runFor(3_000)
  figures.duringDeliveries = o.broadcasts.get(during)?.delivered ?? 0

  const leavers = [o.roots()[0]!, ...pick(o, 5, [o.roots()[0]!])]
  for (const l of leavers) l.tree.leave(() => (l.alive = false))
  o.sim.runFor(1_000)
  for (const l of leavers) if (l.alive) o.crash(l.index)
  else o.net.crash(l.sim.id)
  figures.leaveHealMs = o.runUntilConverged(120_000)

  const live = o.live()
  const half = live.slice(0, live.length >> 1)
  const other = live.slice(live.length >> 1)
  o.net.partition([half.map((n) => n.sim.id), other.map((n) => n.sim.id)])
  o.sim.runFor(30_000)
  figures.rootsWhileSplit = o.roots().length
  o.net.heal()
  figures.mergeMs = o.runUntilConverged(240_000)
  const after = o.live()[1]!.tree.broadcast('test.after', new Uint8Array([7]))
  o.sim.runFor(3_000)
  figures.afterDeliveries = o.broadcasts.get(after)?.delivered ?? 0
  figures.live = o.live().length
  figures.violations = o.violations().length
  figures.events = o.sim.metrics.events
  figures.digest = o.sim.digest
  return { figures, organism: o, lastBroadcast: after }
}

