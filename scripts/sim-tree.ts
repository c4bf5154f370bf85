/**
 * The tree protocol at scale on the deterministic simulator:
 *
 *   npm run sim -- --nodes 100000 [--seed 1] [--max-children 10] [--latency 10] [--jitter 5] [--loss 0] [--churn 0.01[,0.1…]] [--json]
 *
 * --rounds-per-tick R sets how many parents' free slots the root fills per join
 * tick (100 ms), which is what bounds a join storm's length: N / (R·maxChildren·10)
 * virtual seconds. The protocol's default is 50 (5,000 joiners a second); by
 * default the simulator uses max(50, ⌈N/200⌉), so a storm of any size is
 * admitted in about 2 s (a million nodes at the default pace would take 200 s of
 * virtual time, most of it heartbeats of those already placed). Messages per
 * joiner do not depend on the pace. --steady-ms sets the quiet window (default
 * 5000: one shuffle period).
 *
 * Phases, each with its virtual time, wall time and messages:
 *   join storm   N nodes start at once, each knowing one random earlier node;
 *                until the invariants hold (checked every --check-ms of virtual time)
 *   broadcast    from the root, then from a random node: copies sent, depth (most
 *                hops to any node), time to reach all
 *   steady       a few quiet virtual seconds: background traffic per node per second
 *   churn        crash --churn of the nodes (the root among them) at once; until
 *                healed; again for each further fraction given (of the survivors)
 * then memory per simulated node (heap and RSS after GC; peak RSS) and wall time.
 *
 * `npm run sim` runs this under bun (JavaScriptCore, the engine of the compiled borg binary): the
 * same events and digest as under node, in about half the wall time from 100,000 nodes up (node:
 * 112 s at 100,000 and 588 s at 300,000; bun: 58–64 s and 304 s, on this machine). `npm run
 * sim:node` runs it under node, with a large heap and a 256 MB young generation
 * (--max-semi-space-size=256: fewer scavenges of the many short-lived message objects).
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { parseArgs } from 'node:util'
import { SimOrganism } from '../test/helpers/sim-organism.js'

setFlagsFromString('--expose-gc')
const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun
const gc: () => void = bun ? () => bun.gc(true) : (runInNewContext('gc') as () => void)

const { values: args } = parseArgs({
  options: {
    nodes: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    'max-children': { type: 'string', default: '10' },
    latency: { type: 'string', default: '10' },
    jitter: { type: 'string' },
    loss: { type: 'string', default: '0' },
    churn: { type: 'string', default: '0.01' },
    'stray-ms': { type: 'string', default: '300' },
    'max-body': { type: 'string', default: String(64 * 2 ** 20) },
    'stop-after': { type: 'string' },
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
  console.log('usage: npm run sim -- --nodes N [--seed S] [--max-children 10] [--latency ms] [--jitter ms] [--loss p] [--churn 0.01[,0.1…]] [--rounds-per-tick max(50,N/200)] [--steady-ms 5000] [--stray-ms 300] [--check-ms ms] [--json] [--quiet]')
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
/** The command line that replays this run (the seed always named). */
const replayArgs = [...process.argv.slice(2).filter((a) => a !== '--json' && a !== '--quiet'), ...(process.argv.includes('--seed') ? [] : ['--seed', args.seed!])]
const seedText = args.seed!
const seed = /^-?\d+$/.test(seedText) ? Number(seedText) : seedText
const maxChildren = count(args['max-children']!, '--max-children')
const latencyMs = num(args.latency!, '--latency')
const jitterMs = args.jitter === undefined ? latencyMs / 2 : num(args.jitter, '--jitter')
const loss = num(args.loss!, '--loss', 0, 0.5)
const churns = args.churn!.split(',').map((text) => num(text, '--churn', 0.000_001, 0.5))
const strayMs = num(args['stray-ms']!, '--stray-ms', 0)
const maxBodyBytes = num(args['max-body']!, '--max-body', 1024)
const stopAfter = args['stop-after']
if (stopAfter !== undefined && stopAfter !== 'join') throw new Error(`--stop-after: only 'join' is supported, got ${stopAfter}`)
const PROTOCOL_ROUNDS_PER_TICK = 50
const autoRoundsPerTick = Math.max(PROTOCOL_ROUNDS_PER_TICK, Math.ceil(N / 200))
const roundsPerTick = args['rounds-per-tick'] === undefined ? autoRoundsPerTick : count(args['rounds-per-tick'], '--rounds-per-tick')
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
  // One full collection (at 10^6 nodes each takes ~8 s; a second one found little more).
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

const organism = new SimOrganism({ seed, nodes: N, maxChildren, link: { latencyMs, jitterMs, loss }, config: { roundsPerTick }, maxBodyBytes })
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
/** Background traffic every placed node sends whatever else happens: heartbeats and peer sampling. */
const BACKGROUND = new Set(['tree.hb', 'tree.hb.reply', 'tree.shuffle', 'tree.shuffle.reply'])
/** Messages of a phase minus the background (what joining, or healing, itself cost). */
const foreground = (counts: KindCounts) => Object.entries(counts).reduce((a, [kind, v]) => (BACKGROUND.has(kind) ? a : a + v), 0)
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
/** `messagesSince`: count messages from that snapshot on rather than from the phase's start. */
function phase<T extends object>(name: string, nodes: () => number, body: () => T, messagesSince?: KindCounts): Phase & T {
  progress(`${name}…`)
  const kinds = messagesSince ?? sentByKind()
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
  progress(`${name}: ${(result.virtualMs / 1000).toFixed(1)} s virtual in ${(wallMs / 1000).toFixed(1)} s wall (${(result.cpuMs / 1000).toFixed(1)} s CPU), ${result.events.toLocaleString('en')} events, peak RSS so far ${Math.round(process.resourceUsage().maxRSS / 1024).toLocaleString('en')} MiB`)
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

// Nodes send their first join request as they start (during the build): the storm's messages count from before it.
const beforeBuild = sentByKind()
const build = phase('build', () => N, () => {
  organism.add([])
  for (let i = 1; i < N; i++) organism.add([sim.random.int(i)])
  return {}
})

// The root admits joinTickMs·roundsPerTick·maxChildren joiners per tick at most: allow three times that pace, plus a minute.
const cfg = organism.config
const joinBudgetMs = 60_000 + (3 * N * cfg.joinTickMs) / (cfg.roundsPerTick * maxChildren)
const joinPhase = phase('join storm', () => N, () => {
  const convergedMs = converge(joinBudgetMs, 'join storm')
  const root = rootNode()!
  return {
    convergedMs,
    joinRounds: root.tree.events.joinRounds,
    joinRoundsAllRoots: organism.nodes.reduce((a, n) => a + n.tree.events.joinRounds, 0),
    merges: organism.nodes.reduce((a, n) => a + n.tree.events.merges, 0),
    treeSize: root.tree.roster!.size,
  }
}, beforeBuild)
/** Join, redirect, assignment and deputy-sync messages per joiner: without heartbeats and shuffles. */
const join = { ...joinPhase, joinMessagesPerNode: round(foreground(joinPhase.byKind), 2) }
if (stopAfter === 'join') {
  const result = { nodes: N, seed: seedText, maxChildren, roundsPerTick: cfg.roundsPerTick, join, digest: sim.digest, events: metrics.events }
  console.log(args.json ? JSON.stringify(result, null, 2) : result)
  process.exit(0)
}

/**
 * One broadcast: copies, depth, time to reach every live node; then --stray-ms more (at least as long as
 * the delivery took), so stray duplicates or extra copies would show.
 */
function broadcastFrom(name: string, pick: (live: ReturnType<typeof organism.live>) => ReturnType<typeof organism.live>[number]) {
  return phase(name, () => N, () => {
    const live = organism.live()
    const origin = pick(live)
    const copiesBefore = metrics.kind('tree.bcast').sent
    const start = sim.now
    const bid = origin.tree.broadcast('sim.note', new Uint8Array([1, 2, 3]))
    const record = () => organism.broadcasts.get(bid)
    sim.run({ until: start + 60_000, stopWhen: () => (record()?.delivered ?? 0) >= live.length })
    sim.runFor(Math.max(strayMs, sim.now - start))
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
}
/** The invariants must hold at the end of every phase: fail loudly (with the seed) when they do not. */
function assertValid(what: string): void {
  const problems = organism.violations()
  if (problems.length > 0) throw new Error(`${what}: ${problems.length} invariant violations (seed ${seedText}), first: ${problems.slice(0, 5).join('; ')}`)
}
const fromRoot = broadcastFrom('broadcast from the root', () => rootNode()!)
assertValid('after the broadcast from the root')
const broadcast = broadcastFrom('broadcast from a random node', (live) => live[sim.random.int(live.length)]!)
assertValid('after the broadcast from a random node')

const steady = phase('steady', () => N, () => {
  const kinds = sentByKind()
  sim.runFor(steadyMs)
  const rate = perNode(kinds, sentByKind(), N, steadyMs)
  return { perNodePerSecond: round(total(rate), 3), perNodePerSecondByKind: rate }
})
assertValid('after the steady state')

/** One more node joins the quiet tree through a random member: what a single join costs, for the storm to be compared with. */
const singleJoin = phase('single join', () => 1, () => {
  const live = organism.live()
  const via = live[sim.random.int(live.length)]!
  const joiner = organism.add([via.index])
  const start = sim.elapsed
  sim.run({ until: sim.now + 60_000, stopWhen: () => joiner.tree.state === 'member' && (rootNode()?.tree.roster?.size ?? 0) === N + 1 })
  const placedMs = sim.elapsed - start
  converge(60_000, 'single join') // its parent's assignment may still be on the way
  return { placedMs, position: joiner.tree.view?.position ?? 0 }
})
const single = { ...singleJoin, joinMessages: foreground(singleJoin.byKind) }
assertValid('after the single join')

let survivors = N + 1
const heals = churns.map((fraction) => {
  const before = survivors
  const victims = Math.max(1, Math.round(before * fraction))
  const heal = phase(`churn ${round(fraction * 100, 2)} %`, () => survivors, () => {
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
    survivors = before - dead.length
    const failoversBefore = organism.nodes.reduce((a, n) => a + n.tree.events.failovers, 0)
    const healedMs = converge(300_000 + before / 10, 'churn')
    const newRoot = rootNode()!
    return {
      fraction,
      crashed: dead.length,
      healedMs,
      treeSize: newRoot.tree.roster!.size,
      failovers: organism.nodes.reduce((a, n) => a + n.tree.events.failovers, 0) - failoversBefore,
      repairs: newRoot.tree.events.repairs,
    }
  })
  return { ...heal, messagesPerSurvivorAboveSteady: round(heal.messagesPerNode - (steady.perNodePerSecond * heal.virtualMs) / 1000, 2) }
})
const afterChurn = sampleMemory()
const maxRss = process.resourceUsage().maxRSS * 1024

const result = {
  nodes: N,
  seed: seedText,
  maxChildren,
  roundsPerTick: cfg.roundsPerTick,
  protocolRoundsPerTick: PROTOCOL_ROUNDS_PER_TICK,
  link: { latencyMs, jitterMs, loss },
  build: { wallMs: build.wallMs },
  join,
  broadcastFromRoot: fromRoot,
  broadcast,
  steady,
  singleJoin: single,
  churn: heals,
  memory: {
    heapPerNode: Math.round((peak.heapUsed - baseline.heapUsed) / N),
    rssPerNode: Math.round((peak.rss - baseline.rss) / N),
    peakRssPerNode: Math.round((maxRss - baseline.rss) / N),
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
  const bcastRows = (name: string, b: typeof broadcast): [string, string][] => [
    [`${name}: copies`, `${b.copies.toLocaleString('en')} (N-1 = ${b.expectedCopies.toLocaleString('en')}; nodes not reached exactly once: ${b.nodesNotExactlyOnce})`],
    [`${name}: depth`, `${b.depth} hops (origin at position ${b.origin}), all delivered in ${round(b.allDeliveredMs, 1)} ms virtual`],
  ]
  const rows: [string, string][] = [
    ['nodes', `${N.toLocaleString('en')} (maxChildren ${maxChildren}, link ${latencyMs}±${jitterMs} ms, loss ${loss}, seed ${seedText})`],
    ['join pace', `${cfg.roundsPerTick} rounds per tick${args['rounds-per-tick'] === undefined ? ' (auto: max(50, N/200))' : ''}, ${(cfg.roundsPerTick * maxChildren * 1000) / cfg.joinTickMs} joiners/s at most (the protocol's default: ${PROTOCOL_ROUNDS_PER_TICK})`],
    ['join storm: converged', `${s(join.convergedMs)} virtual (checked every ${checkMs} ms)`],
    ['join storm: rounds at the root', `${join.joinRounds.toLocaleString('en')} (all roots: ${join.joinRoundsAllRoots.toLocaleString('en')}, merges ${join.merges})`],
    ['join storm: messages per node', `${join.messagesPerNode}, of which joining ${join.joinMessagesPerNode} (${kinds(join.byKind)})`],
    ...bcastRows('broadcast from the root', fromRoot),
    ...bcastRows('broadcast from a random node', broadcast),
    [`steady (${steadyMs / 1000} s): msgs/node/s`, `${steady.perNodePerSecond} (${kinds(steady.perNodePerSecondByKind)})`],
    ['single join: messages', `${single.joinMessages} joining, placed at ${single.position} in ${round(single.placedMs, 1)} ms virtual (${kinds(single.byKind, 8)})`],
    ...heals.flatMap((h): [string, string][] => {
      const name = `churn ${round(h.fraction * 100, 2)} %`
      return [
        [`${name}: crashed`, `${h.crashed.toLocaleString('en')} (root included)`],
        [`${name}: healed`, `${s(h.healedMs)} virtual (tree of ${h.treeSize.toLocaleString('en')}, failovers ${h.failovers}, repairs ${h.repairs})`],
        [`${name}: msgs per survivor`, `${h.messagesPerNode}, ${h.messagesPerSurvivorAboveSteady} above steady (${kinds(h.byKind)})`],
      ]
    }),
    ['memory per node', `heap ${result.memory.heapPerNode} B, RSS ${result.memory.rssPerNode} B after GC (peak RSS ${(maxRss / 2 ** 20).toFixed(0)} MiB, ${result.memory.peakRssPerNode} B/node)`],
    ['wall time', `build ${s(build.wallMs)}, join ${s(join.wallMs)}, broadcasts ${s(fromRoot.wallMs + broadcast.wallMs)}, steady ${s(steady.wallMs)}, churn ${heals.map((h) => s(h.wallMs)).join(' + ')}; total ${s(result.wallMs)} (CPU ${s(result.cpuMs)})`],
    ['events', `${result.events.toLocaleString('en')}, ${Math.round(result.events / (result.wallMs / 1000)).toLocaleString('en')} per wall second (digest ${result.digest})`],
    ['replay', `npm run sim -- ${replayArgs.join(' ')}`],
  ]
  const width = Math.max(...rows.map((r) => r[0].length))
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`)
}
