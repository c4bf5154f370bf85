/** A simulated organism: N TreeNodes on the deterministic network, plus the bookkeeping tests need. */
import { Simulator } from '../../src/core/sim/simulator.js'
import { SimNetwork, type SimNode } from '../../src/core/sim/sim-network.js'
import type { LinkOptions } from '../../src/core/sim/link-model.js'
import { MessageRouter } from '../../src/core/wire/router.js'
import { TreeNode } from '../../src/core/tree/tree-node.js'
import { treeConfig, type TreeConfig } from '../../src/core/tree/config.js'
import { checkTreeInvariants, type ObservedNode } from '../../src/core/tree/invariants.js'
import { silentLogger } from '../../src/core/log.js'

export interface SimOrganismOptions {
  seed: number | string
  nodes: number
  maxChildren: number
  link?: LinkOptions
  config?: Partial<TreeConfig>
}

export interface OrganismNode {
  index: number
  sim: SimNode
  tree: TreeNode
  alive: boolean
  /** bid → times delivered to this node (its current and earlier incarnations). */
  deliveries: Map<string, number>
  /** When this node was last (re)started, virtual ms. */
  since: number
}

export class SimOrganism {
  readonly sim: Simulator
  readonly net: SimNetwork
  readonly config: TreeConfig
  readonly nodes: OrganismNode[] = []

  constructor(readonly options: SimOrganismOptions) {
    this.sim = new Simulator({ seed: options.seed })
    this.net = new SimNetwork(this.sim, { link: options.link ?? { latencyMs: 5, jitterMs: 2 } })
    this.config = treeConfig({ maxChildren: options.maxChildren, ...options.config })
  }

  /** Add a node and start it, bootstrapping through `contacts` (indexes). */
  add(contacts: number[]): OrganismNode {
    const sim = this.net.addNode()
    const node: OrganismNode = { index: this.nodes.length, sim, tree: undefined as unknown as TreeNode, alive: true, deliveries: new Map(), since: this.sim.now }
    node.tree = this.makeTree(node)
    this.nodes.push(node)
    node.tree.start(contacts.map((i) => this.nodes[i]!.sim.endpoint))
    return node
  }

  private makeTree(node: OrganismNode): TreeNode {
    const router = new MessageRouter()
    node.sim.transport.onMessage(router.handle)
    const tree = new TreeNode({
      transport: node.sim.transport,
      router,
      clock: node.sim.clock,
      random: node.sim.random,
      self: { id: node.sim.id, endpoint: node.sim.endpoint },
      config: this.config,
      log: silentLogger,
    })
    tree.onDeliver((d) => {
      if (d.bid) node.deliveries.set(d.bid, (node.deliveries.get(d.bid) ?? 0) + 1)
    })
    return tree
  }

  crash(index: number): void {
    const node = this.nodes[index]!
    node.tree.stop()
    this.net.crash(node.sim.id)
    node.alive = false
  }

  restart(index: number, contacts: number[]): void {
    const node = this.nodes[index]!
    node.sim = this.net.restart(node.sim.id)
    node.alive = true
    node.since = this.sim.now
    node.tree = this.makeTree(node)
    node.tree.start(contacts.map((i) => this.nodes[i]!.sim.endpoint))
  }

  live(): OrganismNode[] {
    return this.nodes.filter((n) => n.alive)
  }

  observed(nodes = this.live()): ObservedNode[] {
    return nodes.map((n) => ({ id: n.sim.id, tree: n.tree }))
  }

  violations(components: OrganismNode[][] = [this.live()]): string[] {
    return checkTreeInvariants(components.map((c) => this.observed(c)), this.config.maxChildren)
  }

  /** Run until the invariants hold (checked every `stepMs`) or `maxMs` passes. Returns the virtual time taken. */
  runUntilConverged(maxMs: number, components?: () => OrganismNode[][], stepMs = 250): number {
    const start = this.sim.now
    while (this.sim.now - start < maxMs) {
      this.sim.runFor(stepMs)
      if (this.violations(components?.()).length === 0) return this.sim.now - start
    }
    return Infinity
  }

  roots(): OrganismNode[] {
    return this.live().filter((n) => n.tree.state === 'root')
  }
}

/** Nodes that did not receive `bid` exactly once (text lines; empty when all good). */
export function deliveryProblems(nodes: OrganismNode[], bid: string): string[] {
  const problems: string[] = []
  for (const n of nodes) {
    const count = n.deliveries.get(bid) ?? 0
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
