/**
 * Simulator core benchmark: N idle-ish nodes, each with a 1 s periodic timer
 * that sends a one-way message to a random peer on one tick in ten. Prints
 * build time, heap bytes per node (simulator plus a minimal protocol object)
 * and events per second of wall time and of CPU time.
 *
 *   npx tsx scripts/sim-core-bench.ts                  # 10k, 100k, 1M nodes
 *   npx tsx scripts/sim-core-bench.ts 50000 200000     # chosen sizes
 *
 * 1M nodes needs ~1.5 GB of heap: NODE_OPTIONS=--max-old-space-size=4096 if the default is lower.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Simulator } from '../src/core/sim/simulator.js'
import { SimNetwork } from '../src/core/sim/sim-network.js'
import { binaryMessage } from '../test/helpers/json-messages.js'
import type { Clock } from '../src/core/wire/clock.js'
import type { Random } from '../src/core/wire/random.js'
import type { Transport } from '../src/core/wire/transport.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const EVENT_BUDGET = 5_000_000 // timer ticks per size; sets the virtual duration
const PERIOD_MS = 1000

function heapUsed(): number {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

/**
 * A stand-in protocol instance: a class with a bound method rather than a
 * per-node closure, like real cores (tsx's keepNames gives every named closure
 * a ~250 B property table, which would swamp the figure being measured).
 */
class IdleNode {
  private readonly tick: () => void

  constructor(
    private readonly transport: Transport,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly peers: string[],
  ) {
    this.tick = this.onTick.bind(this)
    transport.onMessage(onMessage)
    clock.after(random.int(PERIOD_MS), this.tick)
  }

  private onTick(): void {
    if (this.random.int(10) === 0) this.transport.send({ endpoint: this.peers[this.random.int(this.peers.length)]! }, gossip)
    this.clock.after(PERIOD_MS, this.tick)
  }
}

let received = 0
const onMessage = () => void received++
const gossip = binaryMessage('gossip', new Uint8Array(32))

function bench(n: number): void {
  received = 0
  const heapBefore = heapUsed()
  const buildStart = performance.now()
  const sim = new Simulator({ seed: 'sim-core-bench' })
  const net = new SimNetwork(sim, { link: { latencyMs: 20, jitterMs: 30 } })
  const endpoints: string[] = new Array<string>(n)
  for (let i = 0; i < n; i++) {
    const { transport, clock, random, endpoint } = net.addNode()
    endpoints[i] = endpoint
    new IdleNode(transport, clock, random, endpoints) // kept alive by its pending timer
  }
  const buildMs = performance.now() - buildStart
  const perNode = (heapUsed() - heapBefore) / n

  const durationMs = Math.max(1, Math.round(EVENT_BUDGET / n)) * PERIOD_MS
  const runStart = performance.now()
  const cpuStart = process.cpuUsage()
  const events = sim.runFor(durationMs)
  const runMs = performance.now() - runStart
  const cpu = process.cpuUsage(cpuStart)
  const cpuMs = (cpu.user + cpu.system) / 1000
  const m = sim.metrics
  console.log(
    [
      `${n.toLocaleString('en').padStart(9)} nodes`,
      `build ${(buildMs / 1000).toFixed(2)} s`,
      `${Math.round(perNode)} B heap/node`,
      `${(durationMs / 1000).toFixed(0)} s virtual: ${events.toLocaleString('en')} events in ${(runMs / 1000).toFixed(2)} s`,
      `${Math.round(events / (runMs / 1000)).toLocaleString('en')} events/s (${Math.round(events / (cpuMs / 1000)).toLocaleString('en')} per CPU-s)`,
      `${m.messagesSent.toLocaleString('en')} msgs, ${received.toLocaleString('en')} delivered`,
    ].join(' | '),
  )
}

const sizes = process.argv.slice(2).map(Number)
for (const n of sizes.length > 0 ? sizes : [10_000, 100_000, 1_000_000]) bench(n)
