/**
 * npm run bench:tree [-- --nodes 30 --binary out/borg-linux-x64 --json]
 *
 * The organism as real processes on loopback (`borg node join --cells all`,
 * real HTTPS): join-storm time with every node started at once, broadcast
 * latency to 99 % and 100 % of the nodes with the copies sent, and the heal
 * time after `kill -9` of the root. Figures per cell type (each forms its own
 * tree: shard has maxChildren 25, crono 3, so their depths differ).
 */
import { parseArgs } from 'node:util'
import { ProcessOrganism, treeProblems, waitFor, type CellView, type NodeProcess } from './lib/process-organism.js'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '30' },
    binary: { type: 'string' },
    heartbeat: { type: 'string', default: '1000' },
    json: { type: 'boolean', default: false },
  },
})
const N = Number(values.nodes)
if (!Number.isSafeInteger(N) || N < 3) throw new Error('--nodes must be an integer ≥ 3')
const CELLS = ['shard', 'crono'] as const
const log = (line: string) => process.stderr.write(`${line}\n`)

type Status = { nodeId: string; cells: CellView[] }
// Every port stays below 32768, out of Linux's ephemeral range (outgoing connections take those).
const maxBase = 32_000 - 13_400 - 100 * N
if (maxBase < 1000) throw new Error(`--nodes ${N} does not fit below port 32768 with 100 ports per node`)
const organism = new ProcessOrganism(1000 + 100 * Math.floor((Math.random() * (maxBase - 1000)) / 100), { BORG_HEARTBEAT_MS: values.heartbeat!, BORG_LOG_LEVEL: 'error' }, values.binary)

async function statuses(nodes: NodeProcess[]): Promise<Status[]> {
  return Promise.all(nodes.map((n) => organism.monitorStatus(n)))
}

let lastProblems = ''
async function converged(nodes: NodeProcess[]): Promise<Status[] | undefined> {
  const all = await statuses(nodes)
  const problems = CELLS.flatMap((cell) => treeProblems(cell, all))
  // What still stands between the nodes and one valid tree per cell, when it changes (BORG_BENCH_VERBOSE=1).
  const text = problems.slice(0, 6).join('; ')
  if (process.env.BORG_BENCH_VERBOSE && text !== lastProblems) log(`  ${problems.length} problem(s): ${text}`)
  lastProblems = text
  return problems.length === 0 ? all : undefined
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

const cell = (s: Status, name: string) => s.cells.find((c) => c.name === name)!

interface BroadcastFigures {
  cell: string
  p99Ms: number
  maxMs: number
  copies: number
  expectedCopies: number
  /** Most links any copy crossed. */
  depth: number
}

async function measureBroadcast(nodes: NodeProcess[], name: string): Promise<BroadcastFigures> {
  const before = await statuses(nodes)
  const forwardedBefore = before.reduce((sum, s) => sum + cell(s, name).broadcasts.forwarded, 0)
  const origin = nodes[Math.floor(Math.random() * nodes.length)]!
  const sent = JSON.parse(await organism.cli(origin, 'node', 'broadcast', '--cell', name, '--json', `bench ${Date.now()}`)) as { bid: string; at: number }
  const { value: after } = await waitFor(
    `the ${name} broadcast everywhere`,
    async () => {
      const all = await statuses(nodes)
      return all.every((s) => cell(s, name).notes.recent.some((n) => n.bid === sent.bid)) ? all : undefined
    },
    30_000,
    200,
  )
  // Delivery times are network time on every node (one OS clock here, crono offsets ≈ 0).
  const received = after.map((s) => cell(s, name).notes.recent.find((n) => n.bid === sent.bid)!)
  const latencies = received.map((n) => n.at - sent.at).sort((a, b) => a - b)
  const forwardedAfter = after.reduce((sum, s) => sum + cell(s, name).broadcasts.forwarded, 0)
  const depth = Math.max(...received.map((n) => n.hops ?? 0))
  return { cell: name, p99Ms: percentile(latencies, 99), maxMs: latencies.at(-1)!, copies: forwardedAfter - forwardedBefore, expectedCopies: nodes.length - 1, depth }
}

/**
 * The baseline, measured in the same run: signed request/reply round trips
 * between two node processes over the same pinned HTTPS (`borg node ping`).
 * Half its median is what one hop of a broadcast costs at best.
 */
async function measurePing(nodes: NodeProcess[]): Promise<{ medianMs: number; p99Ms: number }> {
  const [from, to] = [nodes[0]!, nodes[nodes.length - 1]!]
  const target = cell(await organism.monitorStatus(to), 'shard').endpoints.recp
  const report = JSON.parse(await organism.cli(from, 'node', 'ping', target, '--count', '50', '--interval', '20', '--json')) as { rtt: number[] }
  const sorted = [...report.rtt].sort((a, b) => a - b)
  return { medianMs: sorted[Math.floor(sorted.length / 2)]!, p99Ms: percentile(sorted, 99) }
}

async function main(): Promise<void> {
  log(`starting ${N} nodes at once (${values.binary ? `binary ${values.binary}` : 'node bundle'}, heartbeat ${values.heartbeat} ms)`)
  organism.contactWaitS = 180
  const started = Date.now()
  const first = await organism.add([])
  for (let i = 1; i < N; i++) await organism.add([first.index])
  const storm = await waitFor('one tree per cell', () => converged(organism.nodes), 180_000, 500)
  const joinStormMs = Date.now() - started
  log(`join storm: one tree per cell after ${joinStormMs} ms`)

  const broadcasts: BroadcastFigures[] = []
  for (const name of CELLS) for (let i = 0; i < 3; i++) broadcasts.push(await measureBroadcast(organism.nodes, name))
  const ping = await measurePing(organism.nodes)

  const rootId = cell(storm.value.find((s) => cell(s, 'shard').state === 'root')!, 'shard').id
  const root = organism.nodes[storm.value.findIndex((s) => s.nodeId === rootId)]!
  organism.kill9(root)
  const killedAt = Date.now()
  await waitFor('survivors to heal', () => converged(organism.alive()), 120_000, 250)
  const healMs = Date.now() - killedAt
  log(`heal after kill -9 of the root: ${healMs} ms`)

  const summary = (name: string) => {
    const rows = broadcasts.filter((b) => b.cell === name)
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
    return { p99Ms: median(rows.map((r) => r.p99Ms)), maxMs: median(rows.map((r) => r.maxMs)), copies: rows.map((r) => r.copies), expectedCopies: rows[0]!.expectedCopies, depth: Math.max(...rows.map((r) => r.depth)) }
  }
  const report = { nodes: N, heartbeatMs: Number(values.heartbeat), joinStormMs, healAfterRootKillMs: healMs, broadcast: { shard: summary('shard'), crono: summary('crono') }, baselinePing: ping }
  if (values.json) console.log(JSON.stringify(report, null, 2))
  else {
    console.log(`borg bench tree: ${N} real node processes on loopback, each running shard (maxChildren 25) and crono (maxChildren 3)`)
    console.log(`join storm (all started at once) → one valid tree per cell: ${(joinStormMs / 1000).toFixed(1)} s`)
    for (const name of CELLS) {
      const b = report.broadcast[name]
      console.log(`${name.padEnd(6)} broadcast latency p99 ${b.p99Ms.toFixed(1)} ms, 100% ${b.maxMs.toFixed(1)} ms; copies per broadcast ${b.copies.join('/')} (N-1 = ${b.expectedCopies}); depth ${b.depth} hops; 100% = ${(b.maxMs / (ping.medianMs / 2)).toFixed(1)} one-way baseline hops (median of 3)`)
    }
    console.log(`baseline (same run): signed HTTPS request/reply between two node processes (borg node ping), rtt median ${ping.medianMs.toFixed(2)} ms, p99 ${ping.p99Ms.toFixed(2)} ms`)
    console.log(`heal after kill -9 of the root (both trees valid again): ${(healMs / 1000).toFixed(1)} s`)
  }
}

try {
  await main()
} catch (error) {
  const deaths = organism.deathReport()
  if (deaths) log(`nodes that died:\n${deaths}`)
  throw error
} finally {
  await organism.stopAll()
}
