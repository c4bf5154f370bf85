/**
 * A fixed battery of tree scenarios on the deterministic simulator, printing
 * each one's event digest and a few figures:
 *
 *   npx tsx scripts/sim-digests.ts [--seeds 1,2,3,4] [--nodes 400]
 *
 * A refactor that must not change behaviour (the split of the tree node into
 * role modules, say) is checked by running this before and after: every line
 * must be identical. Scenarios: join storm, broadcasts, routed messages, 10 %
 * crashes with the root, graceful leaves (root included), a partition into
 * halves and its heal, and all of it again on a lossy, duplicating network.
 */
import { parseArgs } from 'node:util'
import { SimOrganism, type OrganismNode } from '../src/core/tree/sim-organism.js'

const { values: args } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3,4' },
    nodes: { type: 'string', default: '400' },
  },
})
const seeds = args.seeds!.split(',').map(Number)
const N = Number(args.nodes)

function pick(o: SimOrganism, count: number, except: OrganismNode[] = []): OrganismNode[] {
  const pool = o.live().filter((n) => !except.includes(n))
  const out: OrganismNode[] = []
  while (out.length < count && pool.length > 0) out.push(pool.splice(o.sim.random.int(pool.length), 1)[0]!)
  return out
}

function scenario(seed: number, lossy: boolean): Record<string, unknown> {
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
  return figures
}

for (const seed of seeds) {
  for (const lossy of [false, true]) console.log(JSON.stringify(scenario(seed, lossy)))
}
