/**
 * The tree protocol at scale on the deterministic simulator:
 *
 *   npm run sim -- --nodes 100000 [--seed 1] [--max-children 10] [--latency 10] [--jitter 5] [--loss 0] [--churn 0.01] [--json]
 *
 * --rounds-per-tick R overrides how many parents' free slots the root fills per
 * join tick (default 50: 500 joiners per 100 ms with maxChildren 10), which is
 * what bounds a join storm's length (N / 5,000 s by default). --steady-ms sets
 * the quiet window (default 5000: one shuffle period).
 *
 * Phases, each with its virtual time, wall time and messages:
 *   join storm  N nodes start at once, each knowing one random earlier node;
 *               until the invariants hold (checked every --check-ms of virtual time)
 *   broadcast   from a random node: copies sent, depth (most hops to any node), time to reach all
 *   steady      a few quiet virtual seconds: background traffic per node per second
 *   churn       crash --churn of the nodes (the root among them) at once; until healed
 * then memory per simulated node (heap and RSS after GC; peak RSS) and wall time.
 *
 * Large runs need heap: the npm script passes --max-old-space-size, and a 256 MB young generation
 * (--max-semi-space-size=256: 13 % less wall time at 30,000 nodes than 64 MB, the same digest; fewer
 * scavenges of the many short-lived message objects).
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { parseArgs } from 'node:util'
import { SimOrganism } from '../test/helpers/sim-organism.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const { values: args } = parseArgs({
  options: {
    nodes: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    'max-children': { type: 'string', default: '10' },
    latency: { type: 'string', default: '10' },
    jitter: { type: 'string' },
    loss: { type: 'string', default: '0' },
    churn: { type: 'string', default: '0.01' },
    'rounds-per-tick': { type: 'string' },
    'steady-ms': { type: 'string', default: '5000' },
    'check-ms': { type: 'string' },
    json: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
})

if (args.help) {
  console.log('usage: npm run sim -- --nodes N [--seed S] [--max-children 10] [--latency ms] [--jitter ms] [--loss p] [--churn 0.01] [--rounds-per-tick 50] [--steady-ms 5000] [--check-ms ms] [--json] [--quiet]')
  process.exit(0)
}

/** 100000, 100k, 1M, 1e6, 1_000_000 */
function count(text: string, what: string): number {
  const m = /^([\d_.e+]+)([kKmM]?)$/.exec(text.trim())
  const value = m ? Number(m[1]!.replaceAll('_', '')) * ({ k: 1e3, m: 1e6 }[m[2]!.toLowerCase() as 'k' | 'm'] ?? 1) : NaN
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${what}: expected a positive whole number, got ${text}`)
  return value
}
function num(text: string, what: string, min = 0, max = Infinity): number {
  const value = Number(text)
  if (!(value >= min && value <= max)) throw new Error(`${what}: expected a number in [${min}, ${max}], got ${text}`)
  return value
}

const N = count(args.nodes!, '--nodes')
const seedText = args.seed!
const seed = /^-?\d+$/.test(seedText) ? Number(seedText) : seedText
const maxChildren = count(args['max-children']!, '--max-children')
const latencyMs = num(args.latency!, '--latency')
const jitterMs = args.jitter === undefined ? latencyMs / 2 : num(args.jitter, '--jitter')
const loss = num(args.loss!, '--loss', 0, 0.5)
const churn = num(args.churn!, '--churn', 0, 0.5)
const roundsPerTick = args['rounds-per-tick'] === undefined ? undefined : count(args['rounds-per-tick'], '--rounds-per-tick')
const steadyMs = num(args['steady-ms']!, '--steady-ms', 1)
/**
 * Convergence is checked every checkMs of virtual time: first a cheap O(N)
 * gate (one root whose roster has every live node, nobody joining), then, when
 * it passes, the full invariants (O(N) with string work: backed off to once a
 * virtual second while they keep failing).
 */
const checkMs = args['check-ms'] === undefined ? 100 : num(args['check-ms'], '--check-ms', 1)

const progress = (text: string) => {
  if (!args.quiet) process.stderr.write(`[sim-tree ${new Date().toISOString().slice(11, 19)}] ${text}\n`)
}

// ---------------------------------------------------------------- measuring

interface Memory {
  heapUsed: number
  rss: number
}
function memory(): Memory {
  gc()
  gc()
  const m = process.memoryUsage()
  return { heapUsed: m.heapUsed, rss: m.rss }
}
const baseline = memory()
let peak: Memory = { ...baseline }
function sampleMemory(): Memory {
  const m = memory()
  peak = { heapUsed: Math.max(peak.heapUsed, m.heapUsed), rss: Math.max(peak.rss, m.rss) }
  return m
}

const organism = new SimOrganism({ seed, nodes: N, maxChildren, link: { latencyMs, jitterMs, loss }, config: roundsPerTick === undefined ? {} : { roundsPerTick } })
const sim = organism.sim
const metrics = sim.metrics

type KindCounts = Record<string, number>
function sentByKind(): KindCounts {
  const out: KindCounts = {}
  for (const [kind, m] of metrics.byKind) out[kind] = m.sent
  return out
}
function perNode(before: KindCounts, after: KindCounts, nodes: number, perMs?: number): KindCounts {
  const out: KindCounts = {}
  for (const [kind, sent] of Object.entries(after)) {
    const delta = sent - (before[kind] ?? 0)
    if (delta > 0) out[kind] = round((delta / nodes) * (perMs ? 1000 / perMs : 1), 3)
  }
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1]))
}
const total = (counts: KindCounts) => Object.values(counts).reduce((a, b) => a + b, 0)
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits

interface Phase {
  virtualMs: number
  wallMs: number
  /** Process CPU time (all threads, GC included): steadier than wall time on a busy machine. */
  cpuMs: number
  events: number
  messagesPerNode: number
  byKind: KindCounts
}
function phase<T extends object>(name: string, nodes: () => number, body: () => T): Phase & T {
  progress(`${name}…`)
  const kinds = sentByKind()
  const events = metrics.events
  const startVirtual = sim.elapsed
  const startWall = performance.now()
  const startCpu = process.cpuUsage()
  const extra = body()
  const wallMs = performance.now() - startWall
  const cpu = process.cpuUsage(startCpu)
  const byKind = perNode(kinds, sentByKind(), nodes())
  const result = {
    virtualMs: sim.elapsed - startVirtual,
    wallMs: Math.round(wallMs),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    events: metrics.events - events,
    messagesPerNode: round(total(byKind), 2),
    byKind,
    ...extra,
  }
  progress(`${name}: ${(result.virtualMs / 1000).toFixed(1)} s virtual in ${(wallMs / 1000).toFixed(1)} s wall (${(result.cpuMs / 1000).toFixed(1)} s CPU), ${result.events.toLocaleString('en')} events`)
  return result
}

function rootNode() {
  const roots = organism.nodes.filter((n) => n.alive && n.tree.state === 'root')
  return roots.length === 1 ? roots[0]! : undefined
}

/** Run until the invariants hold; fail loudly (with the first problems) if they never do. */
function converge(maxMs: number, what: string): number {
  let lastReport = performance.now()
  let lastEvents = metrics.events
  const start = sim.elapsed
  let fullCheckAt = 0
  let fullCheckEvery = checkMs
  const t = runUntilConverged(maxMs, () => {
    const now = performance.now()
    if (now - lastReport < 10_000) return
    let largest = 0
    let roots = 0
    for (const n of organism.nodes) {
      if (!n.alive || n.tree.state !== 'root') continue
      roots++
      largest = Math.max(largest, n.tree.roster?.size ?? 0)
    }
    const rate = ((metrics.events - lastEvents) / (now - lastReport)) * 1000
    progress(`  ${what}: +${((sim.elapsed - start) / 1000).toFixed(1)} s virtual, ${roots} roots, largest tree ${largest.toLocaleString('en')}, ${Math.round(rate).toLocaleString('en')} events/s, heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB`)
    lastReport = now
    lastEvents = metrics.events
  })

  function runUntilConverged(limitMs: number, onStep: () => void): number {
    const begin = sim.elapsed
    while (sim.elapsed - begin < limitMs) {
      sim.runFor(checkMs)
      onStep()
      if (!organism.looksConverged() || sim.elapsed < fullCheckAt) continue
      if (organism.violations().length === 0) return sim.elapsed - begin
      fullCheckAt = sim.elapsed + fullCheckEvery
      fullCheckEvery = Math.min(1000, fullCheckEvery * 2)
    }
    return Infinity
  }
  if (t === Infinity) {
    const problems = organism.violations()
    throw new Error(`${what}: no valid tree after ${maxMs / 1000} virtual s (seed ${seedText}); ${problems.length} problems, first: ${problems.slice(0, 5).join('; ')}`)
  }
  return t
}

// ------------------------------------------------------------------- phases

const wallStart = performance.now()
const cpuStart = process.cpuUsage()

const build = phase('build', () => N, () => {
  organism.add([])
  for (let i = 1; i < N; i++) organism.add([sim.random.int(i)])
  return {}
})
const afterBuild = sampleMemory()

// The root admits joinTickMs·roundsPerTick·maxChildren joiners per tick at most: allow three times that pace, plus a minute.
const cfg = organism.config
const joinBudgetMs = 60_000 + (3 * N * cfg.joinTickMs) / (cfg.roundsPerTick * maxChildren)
const join = phase('join storm', () => N, () => {
  const convergedMs = converge(joinBudgetMs, 'join storm')
  const root = rootNode()!
  return {
    convergedMs,
    joinRounds: root.tree.events.joinRounds,
    joinRoundsAllRoots: organism.nodes.reduce((a, n) => a + n.tree.events.joinRounds, 0),
    merges: organism.nodes.reduce((a, n) => a + n.tree.events.merges, 0),
    treeSize: root.tree.roster!.size,
  }
})
const afterJoin = sampleMemory()

const broadcast = phase('broadcast', () => N, () => {
  const live = organism.live()
  const origin = live[sim.random.int(live.length)]!
  const copiesBefore = metrics.kind('tree.bcast').sent
  const start = sim.now
  const bid = origin.tree.broadcast('sim.note', new Uint8Array([1, 2, 3]))
  const record = () => organism.broadcasts.get(bid)
  sim.run({ until: start + 60_000, stopWhen: () => (record()?.delivered ?? 0) >= live.length })
  // A little longer, so stray duplicates or extra copies would show.
  sim.runFor(2_000)
  const r = record()
  let wrong = 0
  for (const n of live) if (n.deliveriesOf(bid) !== 1) wrong++
  return {
    origin: origin.tree.view?.position ?? 0,
    copies: metrics.kind('tree.bcast').sent - copiesBefore,
    expectedCopies: live.length - 1,
    nodesNotExactlyOnce: wrong,
    depth: r?.maxHops ?? 0,
    allDeliveredMs: r ? r.lastAt - start : Infinity,
  }
})

const steady = phase('steady', () => N, () => {
  const kinds = sentByKind()
  sim.runFor(steadyMs)
  const rate = perNode(kinds, sentByKind(), N, steadyMs)
  return { perNodePerSecond: round(total(rate), 3), perNodePerSecondByKind: rate }
})

const victims = Math.max(1, Math.round(N * churn))
let survivors = N
const heal = phase('churn', () => survivors, () => {
  const root = rootNode()!
  const pool = organism.live().filter((n) => n !== root)
  const dead = [root]
  while (dead.length < victims && pool.length > 0) {
    // Swap-remove: O(1) per pick, still a uniform sample.
    const i = sim.random.int(pool.length)
    dead.push(pool[i]!)
    pool[i] = pool[pool.length - 1]!
    pool.pop()
  }
  for (const v of dead) organism.crash(v.index)
  survivors = N - dead.length
  const healedMs = converge(300_000 + N / 10, 'churn')
  const newRoot = rootNode()!
  return {
    crashed: dead.length,
    healedMs,
    treeSize: newRoot.tree.roster!.size,
    failovers: organism.nodes.reduce((a, n) => a + n.tree.events.failovers, 0),
    repairs: newRoot.tree.events.repairs,
  }
})
const healExcess = round(heal.messagesPerNode - (steady.perNodePerSecond * heal.virtualMs) / 1000, 2)
const afterChurn = sampleMemory()
const maxRss = process.resourceUsage().maxRSS * 1024

const result = {
  nodes: N,
  seed: seedText,
  maxChildren,
  roundsPerTick: cfg.roundsPerTick,
  link: { latencyMs, jitterMs, loss },
  build: { wallMs: build.wallMs },
  join,
  broadcast,
  steady,
  churn: { ...heal, messagesPerSurvivorAboveSteady: healExcess },
  memory: {
    heapPerNode: Math.round((peak.heapUsed - baseline.heapUsed) / N),
    rssPerNode: Math.round((peak.rss - baseline.rss) / N),
    peakRssPerNode: Math.round((maxRss - baseline.rss) / N),
    afterBuild: { heapPerNode: Math.round((afterBuild.heapUsed - baseline.heapUsed) / N) },
    afterJoin: { heapPerNode: Math.round((afterJoin.heapUsed - baseline.heapUsed) / N) },
    afterChurn: { heapPerNode: Math.round((afterChurn.heapUsed - baseline.heapUsed) / N) },
    peakRss: maxRss,
  },
  events: metrics.events,
  /** Hash of every event processed: equal digests mean identical runs (same seed and options). */
  digest: sim.digest,
  wallMs: Math.round(performance.now() - wallStart),
  cpuMs: Math.round((process.cpuUsage(cpuStart).user + process.cpuUsage(cpuStart).system) / 1000),
}

if (args.json) {
  console.log(JSON.stringify(result, null, 2))
} else {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`
  const kinds = (k: KindCounts, limit = 6) =>
    Object.entries(k)
      .slice(0, limit)
      .map(([kind, v]) => `${kind.replace(/^tree\./, '')} ${v}`)
      .join(', ')
  const rows: [string, string][] = [
    ['nodes', `${N.toLocaleString('en')} (maxChildren ${maxChildren}, link ${latencyMs}±${jitterMs} ms, loss ${loss}, seed ${seedText}${roundsPerTick === undefined ? '' : `, roundsPerTick ${roundsPerTick} (default 50)`})`],
    ['join storm: converged', `${s(join.convergedMs)} virtual (checked every ${checkMs} ms)`],
    ['join storm: rounds at the root', `${join.joinRounds.toLocaleString('en')} (all roots: ${join.joinRoundsAllRoots.toLocaleString('en')}, merges ${join.merges})`],
    ['join storm: messages per node', `${join.messagesPerNode} (${kinds(join.byKind)})`],
    ['broadcast: copies', `${broadcast.copies.toLocaleString('en')} (N-1 = ${broadcast.expectedCopies.toLocaleString('en')}; nodes not reached exactly once: ${broadcast.nodesNotExactlyOnce})`],
    ['broadcast: depth', `${broadcast.depth} hops (origin at position ${broadcast.origin})`],
    ["broadcast: all delivered", `${round(broadcast.allDeliveredMs, 1)} ms virtual`],
    [`steady (${steadyMs / 1000} s): msgs/node/s`, `${steady.perNodePerSecond} (${kinds(steady.perNodePerSecondByKind)})`],
    ['churn: crashed', `${heal.crashed.toLocaleString('en')} (${churn * 100} %, root included)`],
    ['churn: healed', `${s(heal.healedMs)} virtual (tree of ${heal.treeSize.toLocaleString('en')}, failovers ${heal.failovers}, repairs ${heal.repairs})`],
    ['churn: messages per survivor', `${heal.messagesPerNode}, ${healExcess} above steady (${kinds(heal.byKind)})`],
    ['memory per node', `heap ${result.memory.heapPerNode} B, RSS ${result.memory.rssPerNode} B after GC (peak RSS ${(maxRss / 2 ** 20).toFixed(0)} MiB, ${result.memory.peakRssPerNode} B/node)`],
    ['wall time', `build ${s(build.wallMs)}, join ${s(join.wallMs)}, broadcast ${s(broadcast.wallMs)}, steady ${s(steady.wallMs)}, churn ${s(heal.wallMs)}; total ${s(result.wallMs)} (CPU ${s(result.cpuMs)})`],
    ['events', `${result.events.toLocaleString('en')} (digest ${result.digest})`],
  ]
  const width = Math.max(...rows.map((r) => r[0].length))
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`)
}
