/**
 * A simulated crono organism: per node one MessageRouter shared by a TreeNode
 * and a time organ, on skewed, drifting clocks. Tests read each node's true
 * error against the clock of the root whose network time it follows.
 */
import { Simulator } from '../../src/core/sim/simulator.js'
import { SimNetwork, type SimNode } from '../../src/core/sim/sim-network.js'
import type { LinkFunction, LinkOptions } from '../../src/core/sim/link-model.js'
import type { ClockModel } from '../../src/core/sim/sim-clock.js'
import type { SeededRandom } from '../../src/core/sim/seeded-random.js'
import { SimNotaries } from '../../src/core/sim/sim-notary.js'
import { MessageRouter } from '../../src/core/messaging/router.js'
import { TreeNode } from '../../src/core/tree/tree-node.js'
import { treeConfig, type TreeConfig } from '../../src/core/tree/config.js'
import { checkTime } from '../checkers/time.js'
import { checkTreeInvariants } from '../checkers/tree.js'
import { depthOf } from '../../src/core/tree/position.js'
import { silentLogger } from '../../src/core/log.js'
import { cronoCell } from '../../src/cells/crono/index.js'
import { TimeOrgan, type Lineage, type OffsetStep, type TimeOrganOptions } from '../../src/cells/crono/time-organ.js'
import type { TimeStatus } from '../../src/cells/crono/status.js'

export interface CronoSimOptions {
  seed: number | string
  nodes: number
  maxChildren?: number
  /** Each node's clock hardware; default exact. */
  clock?: (index: number, random: SeededRandom) => ClockModel
  link?: LinkOptions
  linkFunction?: LinkFunction
  organ?: Partial<TimeOrganOptions>
  tree?: Partial<TreeConfig>
}

export interface CronoNode {
  index: number
  sim: SimNode
  tree: TreeNode
  organ: TimeOrgan
  alive: boolean
  /** Every offset change, with the virtual time it happened. */
  steps: (OffsetStep & { at: number })[]
}

/** One node's time at one instant, as the tests judge it. */
export interface TimeReading {
  node: CronoNode
  status: TimeStatus
  /** Tree depth (0 = root), undefined while not placed. */
  depth: number | undefined
  /** This node's network time minus the network time it follows (its lineage's), ms; undefined while unsynced. */
  errorMs: number | undefined
}

export class CronoOrganism {
  readonly sim: Simulator
  readonly net: SimNetwork
  readonly config: TreeConfig
  readonly nodes: CronoNode[] = []
  private readonly clockRandom: SeededRandom
  /** "root@era" → that root's offset during that tenure (a root's offset does not change while it is root). */
  private readonly tenures = new Map<string, number>()
  private readonly notaries = new SimNotaries('crono')

  constructor(readonly options: CronoSimOptions) {
    this.sim = new Simulator({ seed: options.seed })
    this.net = new SimNetwork(this.sim, { link: options.link ?? { latencyMs: 5 }, linkFunction: options.linkFunction })
    this.config = treeConfig({ maxChildren: options.maxChildren ?? cronoCell.dna.maxChildren, ...options.tree })
    this.clockRandom = this.sim.random.fork('clocks')
  }

  /** Build the organism: node 0 founds the tree, every other node joins through a random earlier one. */
  static grow(options: CronoSimOptions): CronoOrganism {
    const o = new CronoOrganism(options)
    o.add([])
    for (let i = 1; i < options.nodes; i++) o.add([o.sim.random.int(i)])
    return o
  }

  add(contacts: number[]): CronoNode {
    const index = this.nodes.length
    const sim = this.net.addNode(undefined, this.options.clock?.(index, this.clockRandom) ?? {})
    const router = new MessageRouter()
    sim.transport.onMessage(router.handle)
    const self = { id: sim.id, endpoint: sim.endpoint }
    const tree = new TreeNode({ transport: sim.transport, router, clock: sim.clock, random: sim.random, self, config: this.config, log: silentLogger, notary: this.notaries.notaryFor(sim.id) })
    const steps: CronoNode['steps'] = []
    const organ = new TimeOrgan(
      { net: router, transport: sim.transport, clock: sim.clock, random: sim.random, log: silentLogger, self, tree },
      {
        resolutionMs: 0,
        ...this.options.organ,
        onStep: (step) => {
          steps.push({ ...step, at: this.sim.elapsed })
          if (step.reason === 'root') this.tenures.set(lineageKey(step.lineageAfter!), step.toMs)
        },
      },
    )
    const node: CronoNode = { index, sim, tree, organ, alive: true, steps }
    this.nodes.push(node)
    tree.start(contacts.map((i) => this.nodes[i]!.sim.endpoint))
    organ.start()
    return node
  }

  crash(index: number): void {
    const node = this.nodes[index]!
    node.organ.stop()
    node.tree.stop()
    this.net.crash(node.sim.id)
    node.alive = false
  }

  live(): CronoNode[] {
    return this.nodes.filter((n) => n.alive)
  }

  roots(): CronoNode[] {
    return this.live().filter((n) => n.tree.state === 'root')
  }

  byId(id: string): CronoNode | undefined {
    return this.nodes.find((n) => n.sim.id === id)
  }

  violations(): string[] {
    return checkTreeInvariants([this.live().map((n) => ({ id: n.sim.id, tree: n.tree }))], this.config.maxChildren)
  }

  /** Run until the tree invariants hold (checked every `stepMs`); the virtual time taken, Infinity if not within maxMs. */
  runUntilConverged(maxMs: number, stepMs = 250): number {
    const start = this.sim.elapsed
    while (this.sim.elapsed - start < maxMs) {
      this.sim.runFor(stepMs)
      if (this.violations().length === 0) return this.sim.elapsed - start
    }
    return Infinity
  }

  /** Run until every live node follows the same network time (root and era), or maxMs passes. */
  runUntilSynced(maxMs: number, stepMs = 100): number {
    const start = this.sim.elapsed
    while (this.sim.elapsed - start < maxMs) {
      this.sim.runFor(stepMs)
      const statuses = this.live().map((n) => n.organ.timeStatus())
      const first = statuses[0]!
      if (statuses.every((s) => s.synced && s.root === first.root && s.era === first.era)) return this.sim.elapsed - start
    }
    return Infinity
  }

  reading(node: CronoNode): TimeReading {
    const status = node.organ.timeStatus()
    const position = node.tree.view?.position
    const depth = node.tree.state === 'root' ? 0 : position === undefined ? undefined : depthOf(position, this.config.maxChildren)
    const lineage = status.root === null || status.era === null ? undefined : { root: status.root, era: status.era }
    const lineageError = lineage && this.lineageError(lineage)
    // SimClock.error() differences avoid the precision lost at epoch magnitudes.
    const errorMs = status.synced && lineageError !== undefined ? node.sim.clock.error() - lineageError : undefined
    return { node, status, depth, errorMs }
  }

  /**
   * The error against true time of a network time: its root's local clock plus
   * the offset that root had during that tenure. That clock runs on after the
   * root crashes or steps down; nodes following it are judged against it.
   */
  lineageError(lineage: Lineage): number | undefined {
    const root = this.byId(lineage.root)
    const offset = this.tenures.get(lineageKey(lineage))
    if (!root || offset === undefined) return undefined
    return root.sim.clock.error() - root.sim.clock.offset + offset
  }

  readings(): TimeReading[] {
    return this.live().map((n) => this.reading(n))
  }
}

function lineageKey(lineage: Lineage): string {
  return `${lineage.root}@${lineage.era}`
}

/** Clocks off by up to ±offsetMs and drifting up to ±driftPpm, uniformly. */
export function skewedClocks(offsetMs: number, driftPpm: number): (index: number, random: SeededRandom) => ClockModel {
  return (_index, random) => ({ offsetMs: (random.float() * 2 - 1) * offsetMs, driftPpm: (random.float() * 2 - 1) * driftPpm })
}

/** Every ordered pair its own fixed one-way latency in [minMs, maxMs) (so A→B and B→A differ), plus jitter. */
export function asymmetricLinks(seed: number, minMs: number, maxMs: number, jitterMs = 0): LinkFunction {
  return (from, to) => ({ latencyMs: minMs + (maxMs - minMs) * pairHash(seed, from, to), jitterMs })
}

/** FNV-1a over both ids, as a uniform float in [0, 1). */
function pairHash(seed: number, from: string, to: string): number {
  let h = 0x811c9dc5 ^ seed
  for (const s of [from, '>', to]) {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  return (h >>> 0) / 2 ** 32
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export interface DepthFigures {
  depth: number
  nodes: number
  boundMedianMs: number
  boundMaxMs: number
  errorMedianMs: number
  errorMaxMs: number
}

export interface Observation {
  /** Readings where the true error exceeded the stated bound (text lines; empty when all good). */
  violations: string[]
  /** Readings of nodes without time. */
  unsynced: number
  byDepth: DepthFigures[]
  /** Every bound and |error| read. */
  bounds: number[]
  errors: number[]
}

/**
 * Run for `durationMs`, reading every live node's time every `everyMs`: the
 * true error against the root of the network time it follows must never
 * exceed the bound it states.
 */
export function observe(o: CronoOrganism, durationMs: number, everyMs = 100): Observation {
  const result: Observation = { violations: [], unsynced: 0, byDepth: [], bounds: [], errors: [] }
  const depths = new Map<number, { nodes: Set<number>; bounds: number[]; errors: number[] }>()
  for (let t = 0; t < durationMs; t += everyMs) {
    o.sim.runFor(everyMs)
    for (const r of o.readings()) {
      if (r.errorMs === undefined || r.status.boundMs === null) {
        result.unsynced++
        continue
      }
      const error = Math.abs(r.errorMs)
      const bound = r.status.boundMs
      result.violations.push(...checkTime([{ label: `node ${r.node.index} (depth ${r.depth})`, status: r.status, errorMs: r.errorMs }], `t=+${o.sim.elapsed}`))
      result.bounds.push(bound)
      result.errors.push(error)
      if (r.depth === undefined) continue
      const d = depths.get(r.depth) ?? { nodes: new Set<number>(), bounds: [], errors: [] }
      depths.set(r.depth, d)
      d.nodes.add(r.node.index)
      d.bounds.push(bound)
      d.errors.push(error)
    }
  }
  result.byDepth = [...depths]
    .sort((a, b) => a[0] - b[0])
    .map(([depth, d]) => ({
      depth,
      nodes: d.nodes.size,
      boundMedianMs: median(d.bounds),
      boundMaxMs: Math.max(...d.bounds),
      errorMedianMs: median(d.errors),
      errorMaxMs: Math.max(...d.errors),
    }))
  return result
}

/** The figures as a table, for a failure message or a curious reader (BORG_TIME_FIGURES=1). */
export function figuresTable(observation: Observation): string {
  const f = (x: number) => x.toFixed(3).padStart(9)
  const lines = ['depth nodes  bound median     max  |error| median     max']
  for (const d of observation.byDepth) lines.push(`${String(d.depth).padStart(5)} ${String(d.nodes).padStart(5)} ${f(d.boundMedianMs)} ${f(d.boundMaxMs)} ${f(d.errorMedianMs)} ${f(d.errorMaxMs)}`)
  return lines.join('\n')
}
