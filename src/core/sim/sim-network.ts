/**
 * The simulated network: which nodes exist, how links between them behave,
 * partitions, crashes and restarts. Message passing itself is the Courier's job.
 *
 *   const sim = new Simulator({ seed })
 *   const net = new SimNetwork(sim, { link: { latencyMs: 30 } })
 *   const a = net.addNode(), b = net.addNode()
 *   b.transport.onMessage(...); a.transport.send({ endpoint: b.endpoint }, msg)
 *   sim.run()
 */
import { BorgError } from '../errors.js'
import { internalized } from '../strings.js'
import type { EventRef } from './event-queue.js'
import { Courier, type CourierNetwork } from './courier.js'
import { DEFAULT_LINK, checkLink, type LinkFunction, type LinkModel, type LinkOptions } from './link-model.js'
import { mix32, type SeededRandom } from './seeded-random.js'
import type { ClockModel, SimClock } from './sim-clock.js'
import { DEFAULT_MAX_BODY_BYTES } from '../envelope/verifier.js'
import { SimNodeRecord, fakeNodeId, normaliseNodeId, type SimProcess } from './sim-node.js'
import { SimTransport } from './sim-transport.js'
import type { Simulator } from './simulator.js'

export interface SimNetworkOptions {
  /** Default link for every pair (fields left out: 20 ms latency, no jitter, loss or duplication). */
  link?: LinkOptions
  /** Per-pair link by function, consulted when no setLink() override exists. */
  linkFunction?: LinkFunction
  /**
   * Drop a second arrival of the same message (same sender and id) at the
   * receiver, as the real stack's replay cache does. Default true.
   */
  dedupe?: boolean
  /** Default send timeout, ms; default 10 000 like the HTTPS transport. */
  timeoutMs?: number
  /** Largest body a node takes, bytes; a larger one is refused `too-large` as HTTPS does. Default 64 MiB. */
  maxBodyBytes?: number
}

export interface AddNodeOptions extends ClockModel {
  /** Name peers use to reach the node; default "n<index>". */
  endpoint?: string
}

/** A running node as the test sees it. */
export interface SimNode {
  readonly id: string
  readonly endpoint: string
  readonly transport: SimTransport
  readonly clock: SimClock
  readonly random: SeededRandom
}

export class SimNetwork implements CourierNetwork {
  readonly dedupe: boolean
  readonly timeoutMs: number
  readonly maxBodyBytes: number
  readonly fateKey: number
  defaultLink: LinkModel
  private linkFunction: LinkFunction | undefined
  private readonly records: SimNodeRecord[] = []
  /**
   * Id → record, built on the first lookup by id (or the first node added with an id of its own). A
   * network of generated ids (32 random bytes each, which do not collide) is found by endpoint and
   * needs no index: a Map entry costs ~170 B per node here, at a million nodes.
   */
  private byIdIndex: Map<string, SimNodeRecord> | undefined
  private get byId(): Map<string, SimNodeRecord> {
    let index = this.byIdIndex
    if (index === undefined) {
      index = this.byIdIndex = new Map()
      for (const record of this.records) index.set(record.id, record)
    }
    return index
  }
  /** Only custom endpoints: default ones ("n<index>") are found by parsing, saving a map entry per node. */
  private readonly byCustomEndpoint = new Map<string, SimNodeRecord>()
  private readonly idRandom: SeededRandom
  private readonly courier: Courier
  private partitioned = false

  constructor(
    readonly sim: Simulator,
    options: SimNetworkOptions = {},
  ) {
    this.dedupe = options.dedupe ?? true
    this.timeoutMs = options.timeoutMs ?? 10_000
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
    this.defaultLink = { ...DEFAULT_LINK, ...checkLink(options.link ?? {}) }
    this.linkFunction = options.linkFunction
    this.idRandom = sim.random.fork('node-ids')
    const [k0, k1] = sim.random.fork('link-fates').key
    this.fateKey = mix32(k0 ^ mix32(k1))
    this.courier = new Courier(sim, this)
  }

  /** Number of nodes ever added (up or down). */
  get size(): number {
    return this.records.length
  }

  /** Add and start a node; `id` is its key id in hex (a deterministic fake Ed25519 one when absent). */
  addNode(id?: string, options: AddNodeOptions = {}): SimNode {
    let nodeId: string
    if (id === undefined) {
      do nodeId = fakeNodeId(this.idRandom)
      while (this.byIdIndex?.has(nodeId))
    } else {
      nodeId = normaliseNodeId(id)
      if (this.byId.has(nodeId)) throw new BorgError('exists', `node ${nodeId} already exists`)
    }
    const index = this.records.length
    const custom = options.endpoint
    if (custom !== undefined) {
      if (defaultEndpointIndex(custom) >= 0) throw new BorgError('invalid-input', `endpoint ${custom}: names n<digits> are reserved for default endpoints`)
      if (this.byCustomEndpoint.has(custom)) throw new BorgError('exists', `endpoint ${custom} already in use`)
    }
    // The id as the engine's one shared copy: tree code compares it with the ids it decoded (also shared copies) by pointer.
    const record = new SimNodeRecord(index, internalized(nodeId), custom ?? `n${index}`, options.offsetMs ?? 0, options.driftPpm ?? 0)
    this.records.push(record)
    this.byIdIndex?.set(record.id, record)
    if (custom !== undefined) this.byCustomEndpoint.set(custom, record)
    return this.start(record)
  }

  /**
   * Make a node reachable at a second endpoint too (as a node behind a NAT becomes reachable at a
   * `via:` endpoint through its relays, while its old address still names it).
   */
  addEndpoint(id: string, endpoint: string): void {
    if (defaultEndpointIndex(endpoint) >= 0) throw new BorgError('invalid-input', `endpoint ${endpoint}: names n<digits> are reserved for default endpoints`)
    if (this.byCustomEndpoint.has(endpoint)) throw new BorgError('exists', `endpoint ${endpoint} already in use`)
    this.byCustomEndpoint.set(endpoint, this.record(id))
  }

  /**
   * Stop a node: its timers never fire, messages to it are refused, its pending
   * callbacks never run. (Its queued timers stay in the queue until due, then
   * are discarded: cheaper than tracking every timer per node.)
   */
  crash(id: string): void {
    const record = this.record(id)
    const instance = record.instance
    if (instance === undefined) return
    instance.alive = false
    record.instance = undefined
    if (this.sim.tracing) this.sim.note(`crash ${record.endpoint}`)
  }

  /** Start a fresh process (transport, clock, randomness) for the same id and endpoint; crashes it first if up. */
  restart(id: string): SimNode {
    const record = this.record(id)
    this.crash(id)
    if (this.sim.tracing) this.sim.note(`restart ${record.endpoint}`)
    return this.start(record)
  }

  isUp(id: string): boolean {
    return this.record(id).instance !== undefined
  }

  /** The running process of a node (by id or endpoint), or undefined while it is down. */
  node(idOrEndpoint: string): SimNode | undefined {
    const instance = this.record(idOrEndpoint).instance
    return instance && handleOf(instance)
  }

  ids(): string[] {
    return this.records.map((r) => r.id)
  }

  /** Schedule a crash (and optionally a restart) for later in the run. */
  crashAt(id: string, time: number, restartAfterMs?: number, onRestart?: (node: SimNode) => void): EventRef {
    return this.sim.at(time, () => {
      this.crash(id)
      if (restartAfterMs === undefined) return
      this.sim.after(restartAfterMs, () => {
        const node = this.restart(id)
        onRestart?.(node)
      })
    })
  }

  setDefaultLink(options: LinkOptions): void {
    this.defaultLink = { ...this.defaultLink, ...checkLink(options) }
  }

  /** Override the one-way link from -> to (undefined removes the override). */
  setLink(from: string, to: string, options: LinkOptions | undefined): void {
    const source = this.record(from)
    const target = this.record(to)
    if (options === undefined) source.links?.delete(target)
    else (source.links ??= new Map()).set(target, checkLink(options))
  }

  /** Same options both ways. */
  setLinkBetween(a: string, b: string, options: LinkOptions | undefined): void {
    this.setLink(a, b, options)
    this.setLink(b, a, options)
  }

  setLinkFunction(fn: LinkFunction | undefined): void {
    this.linkFunction = fn
  }

  /**
   * Split the network: messages between nodes of different groups are dropped
   * when they arrive. Nodes (ids or endpoints) not listed form one more group.
   * Replaces any previous partition.
   */
  partition(groups: string[][]): void {
    for (const record of this.records) record.group = 0
    groups.forEach((group, index) => {
      for (const id of group) this.record(id).group = index + 1
    })
    this.partitioned = true
    if (this.sim.tracing) this.sim.note(`partition ${groups.map((g) => g.length).join('/')}`)
  }

  heal(): void {
    this.partitioned = false
    if (this.sim.tracing) this.sim.note('heal')
  }

  /** Whether a message from a to b would currently cross (ignoring loss and crashes). */
  connected(a: string, b: string): boolean {
    return !this.separated(this.record(a), this.record(b))
  }

  // CourierNetwork
  nodeAt(endpoint: string): SimNodeRecord | undefined {
    const index = defaultEndpointIndex(endpoint)
    if (index < 0) return this.byCustomEndpoint.get(endpoint)
    const record = this.records[index]
    return record !== undefined && record.endpoint === endpoint ? record : undefined
  }

  link(from: SimNodeRecord, to: SimNodeRecord): LinkOptions {
    return from.links?.get(to) ?? this.linkFunction?.(from.id, to.id) ?? this.defaultLink
  }

  separated(a: SimNodeRecord, b: SimNodeRecord): boolean {
    return this.partitioned && a.group !== b.group
  }

  private record(idOrEndpoint: string): SimNodeRecord {
    const record = this.nodeAt(idOrEndpoint) ?? this.byId.get(idOrEndpoint) ?? this.byId.get(idOrEndpoint.toLowerCase())
    if (record === undefined) throw new BorgError('not-found', `no simulated node ${idOrEndpoint}`)
    return record
  }

  private start(record: SimNodeRecord): SimNode {
    // A new process draws new randomness: fork per (identity, incarnation).
    const random = this.sim.random.fork(`node:${record.id}:${record.generation++}`)
    const instance = new SimTransport(this.courier, record, this.sim, random)
    record.instance = instance
    return handleOf(instance)
  }
}

/** Index in "n<index>" (no leading zeros), or -1 for any other name. */
function defaultEndpointIndex(endpoint: string): number {
  const length = endpoint.length
  if (length < 2 || length > 10 || endpoint.charCodeAt(0) !== 110 /* n */) return -1
  if (length > 2 && endpoint.charCodeAt(1) === 48 /* 0 */) return -1
  let index = 0
  for (let i = 1; i < length; i++) {
    const digit = endpoint.charCodeAt(i) - 48
    if (digit < 0 || digit > 9) return -1
    index = index * 10 + digit
  }
  return index
}

function handleOf(process: SimProcess): SimNode {
  // Every running process is a SimTransport: start() is the only place one is made.
  const instance = process as SimTransport
  return { id: instance.node.id, endpoint: instance.node.endpoint, transport: instance, clock: instance.clock, random: instance.random }
}
