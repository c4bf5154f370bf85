/**
 * npm run sim:sweep -- --seeds N [--nodes 200] [--from SEED] [--only SEED]
 *
 * Runs the tree battery (scripts/lib/tree-battery.ts: join storm, broadcasts,
 * routed messages, crashes with the root, leaves, a partition and its heal) on
 * N seeds, each on a clean and on a lossy, duplicating network, and checks
 * what must hold: no invariant violated, every phase converged, every
 * broadcast delivered to every live node. Seeds start at --from (default: a
 * random one, printed), so each run explores new ones; a failure prints the
 * command that replays it exactly and the sweep exits 1.
 */
import { randomInt } from 'node:crypto'
import { parseArgs } from 'node:util'
import { battery } from './lib/tree-battery.js'

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '8' },
    nodes: { type: 'string', default: '200' },
    from: { type: 'string' },
    only: { type: 'string' },
  },
})
const nodes = Number(values.nodes)
const from = values.only ?? values.from ?? String(randomInt(1, 2 ** 31))
const count = values.only ? 1 : Number(values.seeds)
if (!(Number.isSafeInteger(nodes) && nodes >= 20 && Number.isSafeInteger(count) && count >= 1 && /^\d+$/.test(from))) {
  process.stderr.write('usage: npm run sim:sweep -- --seeds N [--nodes 200 (≥ 20)] [--from SEED] [--only SEED]\n')
  process.exit(2)
}

/** Why a run's figures break what must hold, or nothing. */
function problems(f: Record<string, unknown>): string[] {
  const out: string[] = []
  if (f.violations !== 0) out.push(`${f.violations} invariant violations at the end`)
  for (const phase of ['joinMs', 'churnHealMs', 'leaveHealMs', 'mergeMs']) {
    if (typeof f[phase] !== 'number' || (f[phase] as number) < 0) out.push(`${phase}: did not converge (${f[phase]})`)
  }
  const live = f.live as number
  const deliveries = f.broadcastDeliveries as number[]
  if (!f.lossy && deliveries.some((d) => d !== nodes)) out.push(`broadcasts reached ${deliveries.join('/')} of ${nodes}`)
  if (f.afterDeliveries !== live) out.push(`the broadcast after the merge reached ${f.afterDeliveries} of ${live} live nodes, 30 s later`)
  return out
}

process.stderr.write(`sim:sweep: ${count} seed(s) from ${from}, ${nodes} nodes, clean and lossy networks\n`)
let failed = 0
const started = performance.now()
for (let i = 0; i < count; i++) {
  const seed = Number(from) + i
  for (const lossy of [false, true]) {
    let found: string[]
    let figures: Record<string, unknown> = {}
    try {
      const run = battery(seed, lossy, nodes)
      figures = run.figures
      // The battery looks 3 s after its last broadcast; on a lossy network a copy may still be on its way (outboxes resend).
      run.organism.sim.runFor(30_000)
      figures.afterDeliveries = run.organism.broadcasts.get(run.lastBroadcast)?.delivered ?? 0
      figures.live = run.organism.live().length
      figures.violations = run.organism.violations().length
      found = problems(figures)
    } catch (error) {
      found = [`threw: ${(error as Error).stack ?? error}`]
    }
    const label = `seed ${seed} ${lossy ? 'lossy' : 'clean'}`
    if (found.length === 0) {
      process.stderr.write(`ok   ${label} (join ${figures.joinMs} ms, churn heal ${figures.churnHealMs} ms, merge ${figures.mergeMs} ms, digest ${figures.digest})\n`)
      continue
    }
    failed++
    process.stderr.write(`FAIL ${label}: ${found.join('; ')}\n  replay: npm run sim:sweep -- --only ${seed} --nodes ${nodes}\n  figures: ${JSON.stringify(figures)}\n`)
  }
}
process.stderr.write(`sim:sweep: ${2 * count - failed} of ${2 * count} runs passed in ${((performance.now() - started) / 1000).toFixed(1)} s\n`)
process.exit(failed === 0 ? 0 : 1)
