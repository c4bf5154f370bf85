/**
 * One cell type running on this node: its three ports (net: tree and
 * node-to-node traffic; receptor: signed client requests; monitor: read-only
 * status), its TreeNode, and its organs. The ports are bound first and the
 * tree and organs made after, so a cell can listen on ports the OS picks
 * (tests) and still tell everyone the endpoint it really has.
 */
import { join } from 'node:path'
import type { CellType, Organ, OrganContext, RecordCollections, ServiceOffer } from '../cell/types.js'
import { cellPorts, OS_ASSIGNED_PORTS, type PortBase } from '../cell/ports.js'
import { BorgError } from '../errors.js'
import { createLogger, type Logger } from '../log.js'
import type { TlsMaterial } from '../net/cert.js'
import { formatEndpoint, parseEndpoint } from '../net/endpoint.js'
import { HttpsTransport } from '../net/https-transport.js'
import { plainExchange } from '../net/plain-http-node.js'
import type { InboundBudget } from '../net/inbound-budget.js'
import type { EnvelopeSigner } from '../envelope/seal.js'
import { signerNotary } from '../envelope/notary.js'
import type { SystemClock } from '../time/system-clock.js'
import { cryptoRandom } from '../crypto/random.js'
import { MessageRouter } from '../messaging/router.js'
import type { Refusal } from '../wire/sender-rule.js'
import { treeConfig, type TreeConfig } from '../tree/config.js'
import { TreeNode, type Delivery } from '../tree/tree-node.js'
import { deliver } from '../messaging/requests.js'
import { DialbackChecker, registerDialback, type DialOnce } from './dialback.js'
import { MonitorServer } from './monitor-server.js'
import { Reachability, isLoopbackHost, type ReachabilityStatus } from './reachability.js'
import { RelayKeeper } from './relay-keeper.js'
import { relayLimitsFromEnv, type RelayLimits } from '../net/relay-server.js'
import { formatRelayed, isRelayed } from '../net/relayed-endpoint.js'
import type { Peer } from '../wire/transport.js'
import { NOTE_KIND, NoteLog } from './notes.js'
import { outboxFile } from './outbox-file.js'
import type { RunningCell } from './running-file.js'

export { OS_ASSIGNED_PORTS, type PortBase } from '../cell/ports.js'

export interface CellInstanceOptions {
  cell: CellType
  home: string
  bindHost: string
  advertiseHost: string
  portBase: PortBase
  nodeId: string
  signer: EnvelopeSigner
  tls: TlsMaterial
  clock: SystemClock
  tree?: Partial<TreeConfig>
  /** The node's record collections (made after the cells, before their organs). */
  records?: () => RecordCollections | undefined
  /** The node's cells by name (each organ sees its siblings' endpoints). */
  siblings?: () => Record<string, RunningCell>
  /** The node's inbound budget, shared by every cell's net and receptor ports. */
  inboundBudget?: InboundBudget
  /** Relay for others while reachable, and use relays while not (default: both, unless BORG_RELAY=0). */
  relays?: boolean
  /** Relay limits when this cell relays for others (tests lower them). */
  relayLimits?: Partial<RelayLimits>
  /**
   * Set when the advertised host is only a first guess (listening on every interface): called
   * with the address neighbours reached this cell at when a check finds it public there.
   */
  onSeenAs?: (host: string) => void
}

/** What exists only once the cell listens (it needs the bound ports). */
interface Grown {
  tree: TreeNode
  organs: Organ[]
  reachability: Reachability
  relays: RelayKeeper
  /** What the organs know of this node (its endpoint follows the tree's). */
  self: { id: string; endpoint: string }
}

export class CellInstance {
  readonly name: string
  readonly net: HttpsTransport
  readonly receptor: HttpsTransport
  readonly netRouter: MessageRouter
  readonly receptorRouter: MessageRouter
  readonly notes = new NoteLog()
  private readonly monitor: MonitorServer
  private readonly deliveries = new Map<string, (delivery: Delivery) => void>()
  private readonly outboxStore: ReturnType<typeof outboxFile>
  private readonly log: Logger
  /** The ports to listen on (0: the OS picks). */
  private readonly ports: { net: number; recp: number; mon: number }
  private grown?: Grown
  private readonly dialback: DialbackChecker
  /** The contacts the tree was started with. */
  private seeds: string[] = []
  /** Known from the start with fixed ports; with OS-assigned ones, once bound. */
  private bound?: RunningCell
  /** The host this cell advertises (readvertise changes it). */
  private advertiseHost: string

  constructor(private readonly options: CellInstanceOptions) {
    const { cell, signer, tls, clock, advertiseHost, bindHost } = options
    this.name = cell.dna.name
    this.advertiseHost = advertiseHost
    this.log = createLogger(`cell:${this.name}`)
    const osAssigned = options.portBase === OS_ASSIGNED_PORTS
    if (osAssigned && advertiseHost !== bindHost) throw new BorgError('usage', `OS-assigned ports advertise the bound address: bind and advertise host must be the same (${bindHost} vs ${advertiseHost})`)
    this.ports = osAssigned ? { net: 0, recp: 0, mon: 0 } : cellPorts(cell, options.portBase as number)
    // Fixed ports are advertised on the advertise host; OS-assigned ones as bound (known only then).
    const advertise = (port: number) => (osAssigned ? undefined : [formatEndpoint({ host: advertiseHost, port })])
    if (!osAssigned) this.bound = this.endpointsAt(this.ports.net, this.ports.recp, this.ports.mon)
    const netLog = createLogger(`wire:${this.name}`)
    const refused = ({ kind, from, reason }: Refusal) => netLog.warn(`refused ${kind} from ${from.slice(0, 16)}…: ${reason}`, `refused:${kind}`)
    this.netRouter = new MessageRouter(refused)
    this.receptorRouter = new MessageRouter(refused)
    this.net = new HttpsTransport({
      signer,
      clock,
      tls,
      log: netLog,
      advertise: advertise(this.ports.net),
      verifier: { acceptKind: (kind) => this.netRouter.has(kind) },
      budget: options.inboundBudget,
      relay: { limits: options.relayLimits ?? relayLimitsFromEnv(), declines: () => this.relayDeclines() },
    })
    this.net.onMessage(this.netRouter.handle)
    // Reachability (docs/networking.md): this cell dials others back when asked, and asks them.
    this.dialback = new DialbackChecker({ transport: this.net, clock, random: cryptoRandom })
    this.dialback.registerNonces(this.netRouter)
    registerDialback(this.netRouter, { clock, log: netLog, dial: dialOnceAs(signer, netLog) })
    this.receptor = new HttpsTransport({
      signer,
      clock,
      tls,
      log: netLog,
      advertise: advertise(this.ports.recp),
      verifier: { acceptKind: (kind) => this.receptorRouter.has(kind) },
      budget: options.inboundBudget,
    })
    this.receptor.onMessage(this.receptorRouter.handle)
    this.outboxStore = outboxFile(join(options.home, 'node', 'cells', this.name, 'outbox.json'), this.log)
    this.deliveries.set(NOTE_KIND, (delivery) => this.notes.record(delivery, clock.now()))
    this.monitor = new MonitorServer(
      tls,
      { card: () => this.net.card ?? new Uint8Array(0), status: () => this.status(), tree: () => this.treeSnapshot(), metrics: () => this.metrics() },
      this.log,
    )
  }

  /** This cell's endpoints as others reach them (with OS-assigned ports: once listening). */
  get endpoints(): RunningCell {
    if (!this.bound) throw new Error(`cell ${this.name} is not listening yet`)
    return this.bound
  }

  get tree(): TreeNode {
    return this.listening().tree
  }

  /**
   * How others reach this cell, for the service registry: its net endpoint (through its relays when
   * it is private and relayed), whether it is reachable directly, and what its organs offer.
   */
  reachableAs(): { net: string; reach: 'public' | 'private' | 'unknown'; relaying: boolean; offers: ServiceOffer[] } {
    const grown = this.grown
    if (!grown) return { net: this.endpoints.net, reach: 'unknown', relaying: false, offers: [] }
    const state = grown.reachability.status().state
    return {
      net: grown.self.endpoint,
      reach: state === 'public' || state === 'private' ? state : 'unknown',
      relaying: this.relayDeclines() === undefined,
      offers: grown.organs.map((o) => o.offers?.() ?? {}),
    }
  }

  get organs(): Organ[] {
    return this.listening().organs
  }

  private listening(): Grown {
    if (!this.grown) throw new Error(`cell ${this.name} is not listening yet`)
    return this.grown
  }

  /** Bind the three ports, then make the tree and the organs with the endpoints really bound. */
  async listen(): Promise<void> {
    const { bindHost } = this.options
    const net = await this.net.listen(bindHost, this.ports.net)
    const recp = await this.receptor.listen(bindHost, this.ports.recp)
    const mon = await this.monitor.listen(bindHost, this.ports.mon)
    this.bound = this.endpointsAt(net.port, recp.port, mon)
    this.grown = this.grow(this.bound.net)
  }

  private endpointsAt(net: number, recp: number, mon: number): RunningCell {
    const at = (port: number) => formatEndpoint({ host: this.advertiseHost, port })
    return { net: at(net), recp: at(recp), mon: at(mon) }
  }

  private grow(netEndpoint: string): Grown {
    const options = this.options
    const { cell, clock, nodeId } = options
    const tree = new TreeNode({
      transport: this.net,
      router: this.netRouter,
      clock,
      random: cryptoRandom,
      self: { id: nodeId, endpoint: netEndpoint },
      config: treeConfig({ maxChildren: cell.dna.maxChildren, ...options.tree }),
      cell: this.name,
      log: createLogger(`tree:${this.name}`),
      outboxPersistence: this.outboxStore,
      notary: signerNotary(options.signer),
      // Nodes reached through relays take leaf positions (docs/networking.md).
      leafOnly: (member) => isRelayed(member.endpoint),
    })
    tree.onDeliver((delivery) => this.deliveries.get(delivery.kind)?.(delivery))
    const self = { id: nodeId, endpoint: netEndpoint }
    const relays = new RelayKeeper({
      open: (endpoint, onClose, timeoutMs) => this.net.openRelayTunnel(endpoint, onClose, timeoutMs),
      clock,
      log: this.log,
      candidates: () => this.relayCandidates(tree),
      onRelays: (endpoints) => {
        if (endpoints.length > 0) this.advertiseNet(formatRelayed(endpoints))
      },
    })
    const reachability = new Reachability({
      checker: this.dialback,
      clock,
      log: this.log,
      bindHost: options.bindHost,
      port: parseEndpoint(netEndpoint).port,
      advertised: () => (this.bound ? [this.bound.net, this.bound.recp, this.bound.mon] : []),
      // Tree neighbours; before there are any (a node others cannot reach may never get a place), its contacts.
      neighbours: () => {
        const s = tree.status()
        const members = [s.parent, ...s.children, s.root].filter((m): m is NonNullable<typeof m> => m !== undefined && m.id !== nodeId)
        return members.length > 0 ? members.map((m) => ({ endpoint: m.endpoint, id: m.id })) : this.seeds.map((endpoint) => ({ endpoint }))
      },
      onCheck: (status) => this.reachabilityChecked(status),
    })
    const context: OrganContext = {
      cell: this.name,
      dna: cell.dna,
      tree,
      net: this.netRouter,
      receptor: this.receptorRouter,
      transport: this.net,
      clock,
      random: cryptoRandom,
      log: this.log,
      self,
      notary: signerNotary(options.signer),
      dataDir: join(options.home, 'node', 'cells', this.name),
      onDelivery: (kind, handler) => void this.deliveries.set(kind, handler),
      siblings: () => options.siblings?.() ?? {},
      records: {
        open: async (policy) => {
          const records = options.records?.()
          if (!records) throw new BorgError('unavailable', 'this node keeps no record collections')
          return records.open(policy)
        },
      },
      httpGet: (prefix, handler) => this.receptor.httpGet(prefix, (req, res) => handler(...plainExchange(req, res))),
    }
    return { tree, organs: cell.organs(context), reachability, relays, self }
  }

  /** Relays on unless switched off for the node (or by BORG_RELAY=0). */
  private get relaysOn(): boolean {
    return this.options.relays ?? process.env.BORG_RELAY !== '0'
  }

  /** Why this cell takes no relay reservations now, or undefined: it takes them. */
  private relayDeclines(): string | undefined {
    if (!this.relaysOn) return 'relaying is switched off on this node'
    const state = this.grown?.reachability.status().state ?? 'unknown'
    if (state !== 'public') return `it is not reachable from outside itself (${state})`
    if (this.grown?.self.endpoint && isRelayed(this.grown.self.endpoint)) return 'it is reached through relays itself'
    return undefined
  }

  /** Nodes to ask for a relay slot: the tree's root, parent and deputies, then contacts, then seeds. */
  private relayCandidates(tree: TreeNode): Peer[] {
    const s = tree.status()
    const members = [s.root, s.parent, ...s.deputies, ...tree.contacts.all(), ...s.children].filter((m): m is NonNullable<typeof m> => m !== undefined && m.id !== this.options.nodeId)
    const peers: Peer[] = members.map((m) => ({ endpoint: m.endpoint, id: m.id }))
    for (const endpoint of this.seeds) peers.push({ endpoint })
    const seen = new Set<string>()
    return peers.filter((p) => !isRelayed(p.endpoint) && !seen.has(p.endpoint) && seen.add(p.endpoint))
  }

  /** Not reachable (and not only because it listens on loopback): relays; reachable: its own address again. */
  private reachabilityChecked(status: ReachabilityStatus): void {
    const grown = this.grown
    if (!grown || !this.relaysOn) return
    if (status.state === 'private' && !isLoopbackHost(this.options.bindHost)) grown.relays.start()
    else if (status.state === 'public') {
      grown.relays.stop()
      // Reached at the address the neighbours saw: that is the one to advertise (when it was only a guess).
      if (status.seenAs && status.seenAs !== this.advertiseHost && this.options.onSeenAs) this.options.onSeenAs(status.seenAs)
      else if (this.bound) this.advertiseNet(this.bound.net)
    }
  }

  /** This cell is reached at `host` now (port mapping, or what the neighbours saw): advertise it. */
  readvertise(host: string): void {
    if (this.options.portBase === OS_ASSIGNED_PORTS || !this.bound) return
    this.advertiseHost = host
    const port = (endpoint: string) => parseEndpoint(endpoint).port
    this.bound = this.endpointsAt(port(this.bound.net), port(this.bound.recp), port(this.bound.mon))
    // A relayed cell stays relayed until a check finds it reachable at its new address.
    if (this.grown && !isRelayed(this.grown.self.endpoint)) this.advertiseNet(this.bound.net)
  }

  /** Tell the tree (and the organs) that this cell is now reached at `endpoint`. */
  private advertiseNet(endpoint: string): void {
    const grown = this.listening()
    if (grown.self.endpoint === endpoint) return
    this.log.info(`this cell is now reached at ${endpoint}: joining the tree again under it`)
    grown.self.endpoint = endpoint
    grown.tree.moveTo(endpoint, (error) => {
      if (error) this.log.warn(`handing over the old place failed (${error.message}); joined again anyway`)
    })
  }

  start(seeds: string[]): void {
    this.seeds = seeds
    this.tree.start(seeds)
    for (const organ of this.organs) organ.start()
    this.listening().reachability.start()
  }

  status(): Record<string, unknown> {
    const tree = this.tree.status()
    const organs = Object.fromEntries(this.organs.filter((o) => o.status).map((o) => [o.name, o.status!()]))
    return {
      ...tree,
      name: this.name,
      endpoints: this.endpoints,
      maxChildren: this.options.cell.dna.maxChildren,
      summary: this.options.cell.summary,
      organs,
      notes: this.notes.snapshot(),
      reachability: this.reachabilityStatus(),
      wire: { accepted: this.net.verifier.accepted, rejected: this.net.verifier.rejected, refused: Object.fromEntries(this.netRouter.refused) },
    }
  }

  /** Reachability, and where this cell is reached now: directly, or through relays. */
  private reachabilityStatus(): Record<string, unknown> {
    const grown = this.listening()
    const status = grown.reachability.status()
    const relays = grown.relays.status()
    const via = isRelayed(grown.self.endpoint) ? grown.self.endpoint : undefined
    return {
      ...status,
      // `relayed via …` once it is reached through relays (the dial-back verdict stays in `reason`).
      state: status.state === 'private' && via ? `relayed via ${relays.relays.map((r) => r.endpoint).join(', ') || '(finding relays)'}` : status.state,
      advertised: via ? [via, ...status.advertised.slice(1)] : status.advertised,
      relays: relays.relays,
      relaying: this.net.relayService ? { ...this.net.relayService.stats, holding: this.net.relayService.reservations, declines: this.relayDeclines() ?? null } : undefined,
    }
  }

  /** The tree as this node knows it: the full roster at the root, the local neighbourhood elsewhere. */
  private treeSnapshot(): unknown {
    const t = this.tree
    if (t.state === 'root' && t.roster) {
      const members = []
      for (let p = 1; p <= Math.min(t.roster.size, 100_000); p++) members.push({ position: p, ...t.roster.at(p)! })
      return { cell: this.name, isRoot: true, treeId: t.roster.treeId, epoch: t.roster.epoch, maxChildren: t.roster.maxChildren, size: t.roster.size, members }
    }
    const s = t.status()
    return { cell: this.name, isRoot: false, treeId: s.treeId, root: s.root, position: s.position, size: s.treeSize }
  }

  private metrics(): string {
    const s = this.tree.status()
    const label = `cell="${this.name}"`
    const lines = [
      `borg_tree_size{${label}} ${s.treeSize ?? 0}`,
      `borg_tree_position{${label}} ${s.position ?? 0}`,
      `borg_tree_outbox{${label}} ${s.queues.outbox}`,
      `borg_tree_outbox_overflowed_total{${label}} ${s.queues.outboxOverflowed}`,
      `borg_tree_broadcasts_delivered_total{${label}} ${s.broadcasts.delivered}`,
      `borg_tree_broadcasts_duplicates_total{${label}} ${s.broadcasts.duplicates}`,
      `borg_wire_accepted_total{${label}} ${this.net.verifier.accepted}`,
    ]
    for (const [code, count] of Object.entries(this.net.verifier.rejected)) lines.push(`borg_wire_rejected_total{${label},code="${code}"} ${count}`)
    return `${lines.join('\n')}\n`
  }

  async stop(): Promise<void> {
    this.grown?.reachability.stop()
    this.grown?.relays.stop()
    for (const organ of this.grown?.organs ?? []) organ.stop()
    this.grown?.tree.stop()
    await this.outboxStore.flush()
    await Promise.all([this.net.close(), this.receptor.close(), this.monitor.close()])
  }
}

/** A dial-back's one delivery: a fresh client of its own (own pins, no link), signing as this node. */
function dialOnceAs(signer: EnvelopeSigner, log: Logger): DialOnce {
  return async (peer, message, timeoutMs) => {
    const client = new HttpsTransport({ signer, log, links: false, timeoutMs })
    try {
      await deliver(client, peer, message, timeoutMs)
    } finally {
      await client.close()
    }
  }
}
