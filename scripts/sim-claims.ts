/**
 * The seeds' scale claims, measured on the deterministic simulator:
 *
 *   npm run sim:claims [-- --sizes 1e3,1e4,1e5[,1e6]] [--seed 1] [--default-pace-up-to 1e5] [--json]
 *
 * For each size it runs scripts/sim-tree.ts (join storm at the simulator's pace,
 * broadcasts from the root and from a random node, 5 s of steady state, a single
 * join, 1 % then 10 % churn), and for sizes up to --default-pace-up-to a second
 * join storm at the protocol's default pace (50 rounds per tick). It prints one
 * markdown table (docs/scale.md keeps the last one) beside the claims:
 *
 *   hops         "one million nodes reached in 6 hops" (BorgIOS, maxChildren 10)
 *   join storm   "a storm of thousands handled as efficiently as a single join"
 *   churn        heal time and messages per survivor above the steady rate
 *   steady       messages per node per second
 */
import { execFile } from 'node:child_process'
import { parseArgs, promisify } from 'node:util'

const run = promisify(execFile)

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1e3,1e4,1e5' },
    seed: { type: 'string', default: '1' },
    churn: { type: 'string', default: '0.01,0.1' },
    'default-pace-up-to': { type: 'string', default: '1e5' },
    json: { type: 'boolean', default: false },
  },
  strict: true,
})

const sizes = args.sizes!.split(',').map(Number)
const defaultPaceUpTo = Number(args['default-pace-up-to'])
if (!sizes.every((n) => Number.isSafeInteger(n) && n >= 20)) throw new Error(`--sizes: whole numbers ≥ 20, got ${args.sizes}`)

interface Broadcast {
  depth: number
  copies: number
  expectedCopies: number
  nodesNotExactlyOnce: number
  allDeliveredMs: number
}
interface SimTree {
  nodes: number
  roundsPerTick: number
  join: { convergedMs: number; messagesPerNode: number; joinMessagesPerNode: number; wallMs: number }
  broadcastFromRoot: Broadcast
  broadcast: Broadcast & { origin: number }
  steady: { perNodePerSecond: number }
  singleJoin: { joinMessages: number; placedMs: number }
  churn: { fraction: number; crashed: number; healedMs: number; messagesPerSurvivorAboveSteady: number }[]
  memory: { heapPerNode: number; peakRss: number }
  events: number
  digest: string
  wallMs: number
  cpuMs: number
}

async function simTree(extra: string[]): Promise<SimTree> {
  // The engine this script runs on (bun for npm run sim:claims, as npm run sim).
  const engine = 'Bun' in globalThis ? ['scripts/sim-tree.ts'] : ['--max-old-space-size=16384', '--max-semi-space-size=256', '--import', 'tsx', 'scripts/sim-tree.ts']
  const { stdout } = await run(process.execPath, [...engine, '--seed', args.seed!, '--json', '--quiet', ...extra], { maxBuffer: 1 << 24 })
  return JSON.parse(stdout) as SimTree
}

/** Hops from the root to the last of n nodes in a complete m-ary tree (positions in breadth-first order). */
function completeDepth(n: number, m: number): number {
  let depth = 0
  let covered = 1
  let level = 1
  while (covered < n) {
    level *= m
    covered += level
    depth++
  }
  return depth
}

const rows: { n: number; run: SimTree; defaultPace?: { convergedMs: number; joinMessagesPerNode: number } }[] = []
for (const n of sizes) {
  process.stderr.write(`[sim-claims] ${n.toLocaleString('en')} nodes…\n`)
  const run = await simTree(['--nodes', String(n), '--churn', args.churn!])
  let defaultPace: { convergedMs: number; joinMessagesPerNode: number } | undefined
  if (n <= defaultPaceUpTo && run.roundsPerTick !== 50) {
    process.stderr.write(`[sim-claims] ${n.toLocaleString('en')} nodes, join storm at the protocol's default pace…\n`)
    defaultPace = (await simTree(['--nodes', String(n), '--rounds-per-tick', '50', '--stop-after', 'join'])).join
  } else if (run.roundsPerTick === 50) defaultPace = run.join
  rows.push({ n, run, defaultPace })
  process.stderr.write(`[sim-claims] ${n.toLocaleString('en')} nodes: ${(run.wallMs / 1000).toFixed(1)} s wall, digest ${run.digest}\n`)
}

if (args.json) {
  console.log(JSON.stringify(rows, null, 2))
  process.exit(0)
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`
const fmt = (n: number) => n.toLocaleString('en')
const churnCell = (r: SimTree, fraction: number) => {
  const c = r.churn.find((x) => Math.abs(x.fraction - fraction) < 1e-9)
  return c ? `${s(c.healedMs)}, +${c.messagesPerSurvivorAboveSteady}` : 'not run'
}
const lines = [
  `| nodes | hops root → last (complete tree) | hops from a random node | storm: joining msgs per joiner (single join) | storm converged (at ${'`'}roundsPerTick${'`'}) | storm at the default pace (50) | heal 1 % churn, msgs per survivor above steady | heal 10 % churn | steady msgs/node/s | wall, CPU, events, peak RSS |`,
  '|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map(({ n, run: r, defaultPace }) =>
    [
      fmt(n),
      `${r.broadcastFromRoot.depth} (${completeDepth(n, 10)})`,
      `${r.broadcast.depth}`,
      `${r.join.joinMessagesPerNode} (${r.singleJoin.joinMessages})`,
      `${s(r.join.convergedMs)} (${r.roundsPerTick})`,
      defaultPace ? `${s(defaultPace.convergedMs)}, ${defaultPace.joinMessagesPerNode} msgs` : 'not run',
      churnCell(r, 0.01),
      churnCell(r, 0.1),
      `${r.steady.perNodePerSecond}`,
      `${s(r.wallMs)}, ${s(r.cpuMs)}, ${fmt(r.events)}, ${(r.memory.peakRss / 2 ** 30).toFixed(2)} GiB`,
    ].join(' | '),
  ).map((row) => `| ${row} |`),
]
console.log(lines.join('\n'))
