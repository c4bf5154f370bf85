/**
 * A simulated organism: N TreeNodes on the deterministic network, plus the
 * bookkeeping tests and scripts/sim-tree.ts need (deliveries per broadcast,
 * invariant checks, join storms). Only the simulator and the tree core are
 * used: no I/O, no real time.
 */
import { Simulator } from '../../src/core/sim/simulator.js'
import { SimNetwork, type SimNode } from '../../src/core/sim/sim-network.js'
import type { LinkOptions } from '../../src/core/sim/link-model.js'
import type { Incoming } from '../../src/core/wire/message.js'
import type { MessageHandler, Responder } from '../../src/core/wire/transport.js'
import type { SenderRule } from '../../src/core/wire/sender-rule.js'
import { BorgError } from '../../src/core/errors.js'
import { SimNotaries } from '../../src/core/sim/sim-notary.js'
import { TreeNode, type Delivery, type TreeRouter } from '../../src/core/tree/tree-node.js'
import { treeConfig, type TreeConfig } from '../../src/core/tree/config.js'
import { checkTreeInvariants, type ObservedNode } from '../checkers/tree.js'
import { MemberTable } from '../../src/core/tree/members.js'
import { silentLogger } from '../../src/core/log.js'

export interface SimOrganismOptions {
  seed: number | string
  nodes: number
  maxChildren: number
  link?: LinkOptions
  config?: Partial<TreeConfig>
  /** The largest body a node takes (default: the network's, 64 MiB as over HTTPS). */
  maxBodyBytes?: number
  /** Members that only ever take leaf positions (TreeNodeDeps.leafOnly). */
  leafOnly?: (member: { id: string; endpoint: string }) => boolean
}

/** What the organism saw of one broadcast id. */
export interface BroadcastRecord {
  /** The delivered kind and the origin it was delivered as. */
  kind: string
  origin: string
  /** Deliveries so far (all nodes, duplicates included). */
  delivered: number
  /** Most links any copy crossed before it was delivered. */
  maxHops: number
  /** Virtual time (epoch ms) of the latest delivery. */
  lastAt: number
  /** Deliveries per node index (node indexes past the end: none yet). */
  counts: Uint16Array
}

/** One simulated node of a SimOrganism: its sim process and its TreeNode (the real node is core/node's OrganismNode). */
export class SimMember {
  alive = true
  /** Messages this node refused by a tree sender rule (all incarnations). */
  refusals = 0

  constructor(
    private readonly organism: SimOrganism,
    readonly index: number,
    public sim: SimNode,
    /** When this node was last (re)started, virtual ms. */
    public since: number,
  ) {}

  tree!: TreeNode

  /** Times `bid` was delivered to this node (its current and earlier incarnations). */
  deliveriesOf(bid: string): number {
    return this.organism.broadcasts.get(bid)?.counts[this.index] ?? 0
  }

  /** bid → times delivered to this node (its current and earlier incarnations). Built on demand. */
  get deliveries(): ReadonlyMap<string, number> {
    const out = new Map<string, number>()
    for (const [bid, record] of this.organism.broadcasts) {
      const count = record.counts[this.index] ?? 0
      if (count > 0) out.set(bid, count)
    }
    return out
  }
}

export class SimOrganism {
  readonly sim: Simulator
  readonly net: SimNetwork
  readonly config: TreeConfig
  readonly nodes: SimMember[] = []
  /** One shared Member object per node for all the nodes that know it (memory, at a million nodes). */
  readonly members = new MemberTable()
  /** Every broadcast id delivered anywhere, with who got it how often. */
  readonly broadcasts = new Map<string, BroadcastRecord>()
  /** Every message routed to one node or position (sendTo) and delivered, in order. */
  readonly directs: { index: number; kind: string; text: string; origin: string; at: number }[] = []
  /** Signatures: each node signs as itself only (an adversary too). */
  readonly notaries: SimNotaries
  /** Messages refused by a tree sender rule, per kind, at every node. */
  readonly refused = new Map<string, number>()
  /** The same, per kind and reason. */
  readonly refusalReasons = new Map<string, number>()

  constructor(readonly options: SimOrganismOptions) {
    this.sim = new Simulator({ seed: options.seed })
    this.net = new SimNetwork(this.sim, { link: options.link ?? { latencyMs: 5, jitterMs: 2 }, maxBodyBytes: options.maxBodyBytes })
    this.config = treeConfig({ maxChildren: options.maxChildren, ...options.config })
    this.notaries = new SimNotaries(`organism:${String(options.seed)}`)
  }

  /** Add a node and start it, bootstrapping through `contacts` (indexes); `endpoint` names it (default n<index>). */
  add(contacts: number[], endpoint?: string): SimMember {
    const node = new SimMember(this, this.nodes.length, this.net.addNode(undefined, endpoint ? { endpoint } : {}), this.sim.now)
    node.tree = this.makeTree(node)
    this.nodes.push(node)
    node.tree.start(contacts.map((i) => this.nodes[i]!.sim.endpoint))
    return node
  }

  private makeTree(node: SimMember): TreeNode {
    const router = new SoleRouter(this, node)
    node.sim.transport.onMessage(router.handle)
    const tree = new TreeNode({
      transport: node.sim.transport,
      router,
      clock: node.sim.clock,
      random: node.sim.random,
      self: this.members.member(node.sim.id, node.sim.endpoint), // the table's object: no copy per node
      config: this.config,
      log: silentLogger,
      members: this.members,
      notary: this.notaries.notaryFor(node.sim.id),
      leafOnly: this.options.leafOnly,
    })
    tree.onDeliver((d) => this.delivered(node.index, d))
    return tree
  }

  private delivered(index: number, d: Delivery): void {
    if (d.via === 'direct') {
      this.directs.push({ index, kind: d.kind, text: Buffer.from(d.body).toString('utf8'), origin: d.origin, at: this.sim.now })
      return
    }
    if (!d.bid) return
    let record = this.broadcasts.get(d.bid)
    if (!record) this.broadcasts.set(d.bid, (record = { kind: d.kind, origin: d.origin, delivered: 0, maxHops: 0, lastAt: 0, counts: new Uint16Array(this.nodes.length) }))
    if (index >= record.counts.length) {
      const grown = new Uint16Array(Math.max(this.nodes.length, index + 1))
      grown.set(record.counts)
      record.counts = grown
    }
    record.counts[index]!++
    record.delivered++
    record.maxHops = Math.max(record.maxHops, d.hops ?? 0)
    record.lastAt = this.sim.now
  }

  countRefusal(kind: string, reason: string): void {
    this.refused.set(kind, (this.refused.get(kind) ?? 0) + 1)
    const key = `${kind}: ${reason}`
    this.refusalReasons.set(key, (this.refusalReasons.get(key) ?? 0) + 1)
  }

  crash(index: number): void {
    const node = this.nodes[index]!
    node.tree.stop()
    this.net.crash(node.sim.endpoint) // by endpoint: the network keeps no id index unless asked by id
    node.alive = false
  }

  restart(index: number, contacts: number[]): void {
    const node = this.nodes[index]!
    node.sim = this.net.restart(node.sim.endpoint)
    node.alive = true
    node.since = this.sim.now
    node.tree = this.makeTree(node)
    node.tree.start(contacts.map((i) => this.nodes[i]!.sim.endpoint))
  }

  live(): SimMember[] {
    return this.nodes.filter((n) => n.alive)
  }

  observed(nodes = this.live()): ObservedNode[] {
    return nodes.map((n) => ({ id: n.sim.id, tree: n.tree }))
  }

  violations(components: SimMember[][] = [this.live()]): string[] {
    return checkTreeInvariants(components.map((c) => this.observed(c)), this.config.maxChildren)
  }

  /**
   * A cheap necessary condition for the invariants on the whole live network
   * (one root, whose roster has exactly the live nodes' count, nobody joining):
   * O(N) without allocation, so it can run often; the full check follows only
   * when it passes.
   */
  looksConverged(): boolean {
    let roots = 0
    let rosterSize = -1
    let live = 0
    for (const n of this.nodes) {
      if (!n.alive) continue
      live++
      const state = n.tree.state
      if (state === 'root') {
        if (++roots > 1) return false
        rosterSize = n.tree.roster?.size ?? -1
      } else if (state !== 'member') return false
    }
    return roots === 1 && rosterSize === live
  }

  /**
   * Run until the invariants hold or `maxMs` passes; returns the virtual time
   * taken. Checked every `stepMs` (the cheap gate first when `components` is
   * the whole network), so the result is a multiple of `stepMs`.
   */
  runUntilConverged(maxMs: number, components?: () => SimMember[][], stepMs = 250, onStep?: () => void): number {
    const start = this.sim.now
    while (this.sim.now - start < maxMs) {
      this.sim.runFor(stepMs)
      onStep?.()
      if (!components && !this.looksConverged()) continue
      if (this.violations(components?.()).length === 0) return this.sim.now - start
    }
    return Infinity
  }

  roots(): SimMember[] {
    return this.live().filter((n) => n.tree.state === 'root')
  }
}

/**
 * A MessageRouter for a node that runs one TreeNode and nothing else: every
 * kind the tree registers goes to the same handler, so one field replaces a
 * Map of 14 entries per node (~0.8 KB, at a million nodes). Kinds nobody
 * registered are refused like MessageRouter refuses them.
 */
class SoleRouter implements TreeRouter {
  /** Kinds registered by any node (all register the same ones). */
  private static readonly kinds = new Set<string>()
  private handler: MessageHandler | undefined
  private rule: SenderRule | undefined

  on(kind: string, rule: SenderRule, handler: MessageHandler): this {
    if (this.handler !== undefined && (this.handler !== handler || this.rule !== rule)) throw new Error('SoleRouter: one handler and rule for every kind')
    this.handler = handler
    this.rule = rule
    SoleRouter.kinds.add(kind)
    return this
  }

  readonly handle: MessageHandler

  /** As MessageRouter: the rule first; a refusal is counted and answered 'refused'. */
  constructor(organism: SimOrganism, node: SimMember) {
    this.handle = (message: Incoming, responder: Responder | undefined) => {
      if (this.handler === undefined || !SoleRouter.kinds.has(message.kind)) return responder?.fail('unknown-kind', `no handler for message kind ${message.kind}`)
      const reason = this.rule!.refuse(message)
      if (reason === undefined) return this.handler(message, responder)
      node.refusals++
      organism.countRefusal(message.kind, reason)
      if (responder) return responder.fail('refused', reason)
      throw new BorgError('refused', reason)
    }
  }
}

/** Nodes that did not receive `bid` exactly once (text lines; empty when all good). */
export function deliveryProblems(nodes: SimMember[], bid: string): string[] {
  const problems: string[] = []
  for (const n of nodes) {
    const count = n.deliveriesOf(bid)
    if (count !== 1) problems.push(`node ${n.index} (${n.sim.id.slice(0, 10)}) got broadcast ${bid} ${count} times`)
  }
  return problems
}

/** Build an organism by a join storm: all nodes start at once, each knowing one earlier node. */
export function joinStorm(options: SimOrganismOptions, maxMs = 60_000): { organism: SimOrganism; convergedMs: number } {
  const organism = new SimOrganism(options)
  organism.add([])
  for (let i = 1; i < options.nodes; i++) organism.add([organism.sim.random.int(i)])
  const convergedMs = organism.runUntilConverged(maxMs, undefined, 500)
  return { organism, convergedMs }
}
