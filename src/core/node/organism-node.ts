/**
 * A borg node: one process hosting one instance of each chosen cell type. It
 * owns the node key, the TLS certificate and the network clock shared by its
 * cells, finds the other nodes' cell endpoints through their directory, and
 * takes signed control requests (leave, broadcast, send) from its own key.
 */
import { bytesToHex } from '../bytes.js'
import { isKeyIdHex } from '../crypto/key-id.js'
import { BorgError } from '../errors.js'
import { createLogger } from '../log.js'
import { loadOrCreateNodeKey } from '../identity/node-key.js'
import { nodeSigner } from '../identity/signer.js'
import { paths } from '../store/paths.js'
import { loadOrCreateTlsMaterial } from '../net/cert.js'
import { InboundBudget, inboundLimitsFromEnv } from '../net/inbound-budget.js'
import { SystemClock } from '../time/system-clock.js'
import { BodyType, type Incoming } from '../wire/message.js'
import { formatEndpoint, parseEndpoint } from '../net/endpoint.js'
import { ANYONE, ownKey } from '../messaging/router.js'
import type { Responder } from '../wire/transport.js'
import type { TreeConfig } from '../tree/config.js'
import type { CellType } from '../cell/types.js'
import { registerPing } from './ping.js'
import { BORG_VERSION } from '../version.js'
import { CellInstance, type PortBase } from './cell-instance.js'
import { cellPorts, OS_ASSIGNED_PORTS } from '../cell/ports.js'
import type { PortMapping } from './port-mapping.js'
import { NOTE_KIND, noteBody } from './notes.js'
import { removeRunning, writeRunning, type RunningCell, type RunningNode } from './running-file.js'
import { DEFAULT_CONTACT_WAIT_MS, judgeContacts, parseContact, resolveContacts, type Contact } from './contacts.js'
import { CONTROL, DIRECTORY_KIND, NODE_CODECS, type Directory } from './messages.js'
import { addressInUse, describeHolder, listeningProcess } from './port-holder.js'
import { hasIpv6, primaryAddress } from './local-address.js'
import { cryptoRandom } from '../crypto/random.js'
import { RecordsService } from '../records/records-service.js'
import { liveServices, ServicePublisher, servicesPolicy, DEFAULT_TTL_SECONDS, SERVICES } from '../records/service-registry.js'
import type { Timer } from '../wire/clock.js'

export { CONTROL, DIRECTORY_KIND } from './messages.js'

export interface NodeOptions {
  home: string
  cells: CellType[]
  /** HOST:PORT (or NODEID@HOST:PORT) of any borg port of other nodes. */
  contacts: string[]
  portBase: PortBase
  bindHost: string
  /**
   * The address others reach this node at. Default: the bound address; for a node bound to every
   * interface, the external address of a port mapping its router made (port-mapping.ts).
   */
  advertiseHost?: string
  tree?: Partial<TreeConfig>
  /** How long to keep trying to reach contacts (default 10 s) before giving up. */
  contactWaitMs?: number
  /** Found new trees when no contact can be reached, instead of failing. */
  alone?: boolean
}

/** A positive integer from the environment (tests shorten intervals), else the default. */
function positiveEnv(name: string, fallback: number): number {
  const value = Number(process.env[name])
  return Number.isSafeInteger(value) && value > 0 ? value : fallback
}

/** BORG_RECORDS_MODERATORS: key ids (hex, comma-separated) whose block-lists this node follows. */
function moderatorsFromEnv(): string[] {
  const ids = (process.env.BORG_RECORDS_MODERATORS ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)
  for (const id of ids) if (!isKeyIdHex(id)) throw new BorgError('usage', `BORG_RECORDS_MODERATORS: ${id} is not a key id in hex`)
  return ids
}

const isWildcard = (host: string) => host === '0.0.0.0' || host === '::'
/** Where this machine reaches a node bound to `bindHost`: loopback for a wildcard (`::` is dual-stack), else the address itself. */
const localHostFor = (bindHost: string) => (isWildcard(bindHost) ? '127.0.0.1' : bindHost)

export class OrganismNode {
  readonly cells: CellInstance[] = []
  readonly clock = new SystemClock()
  nodeId = ''
  /** What the user should know about how the node started (contacts that failed, cells it founds). */
  warnings: string[] = []
  private readonly log = createLogger('node')
  private leaving = false
  private onLeave?: () => void
  /** Ports the router forwards to this node, when it was asked to (port-mapping.ts). */
  private portMapping?: PortMapping
  /** The host every cell advertises (chooseAdvertiseHost; later what port mapping or the neighbours found). */
  private advertiseHost = ''
  /** Listening on every interface without a given address: the advertised one is learned (mapping, neighbours). */
  private learning = false
  /** `::` where the machine has IPv6 (dual-stack: IPv4 too), else `0.0.0.0`; or the given address. */
  private readonly bindHost: string
  private stopped = false
  /** The node's collections (docs/records.md), the service registry among them. */
  records?: RecordsService
  private publisher?: ServicePublisher
  private publishTimer?: Timer

  private constructor(private readonly options: NodeOptions) {
    this.bindHost = options.bindHost === '::' && !hasIpv6() ? '0.0.0.0' : options.bindHost
  }

  static async start(options: NodeOptions): Promise<OrganismNode> {
    if (options.cells.length === 0) throw new BorgError('usage', 'a node needs at least one cell type')
    const node = new OrganismNode(options)
    await node.boot()
    return node
  }

  /** Called once the node has handed over its positions after a `leave` request. */
  whenLeft(callback: () => void): void {
    this.onLeave = callback
  }

  private async boot(): Promise<void> {
    const { home } = this.options
    const contacts = this.options.contacts.map(parseContact)
    const key = await loadOrCreateNodeKey(home)
    this.nodeId = bytesToHex(key.id)
    const tls = await loadOrCreateTlsMaterial(paths.tlsDir(home), `borg node ${this.nodeId.slice(0, 18)}`)
    const signer = nodeSigner(key)
    const inboundBudget = new InboundBudget(inboundLimitsFromEnv(process.env)) // one for the whole node: all cells, both ports
    const advertiseHost = (this.advertiseHost = await this.chooseAdvertiseHost())
    for (const cell of this.options.cells) {
      const instance = new CellInstance({
        cell,
        home,
        bindHost: this.bindHost,
        advertiseHost,
        onSeenAs: this.learning ? (host) => this.readvertise(host, 'the neighbours that dialed it back reached it there') : undefined,
        portBase: this.options.portBase,
        nodeId: this.nodeId,
        signer,
        tls,
        clock: this.clock,
        tree: this.options.tree,
        siblings: () => this.directory().cells,
        records: () => this.records,
        inboundBudget,
      })
      this.registerNodeKinds(instance)
      this.cells.push(instance)
    }
    const records = (this.records = new RecordsService({
      dir: paths.recordsDir(home),
      nodeId: this.nodeId,
      clock: this.clock,
      random: cryptoRandom,
      transport: this.cells[0]!.net,
      log: createLogger('records'),
      // Any cell's tree neighbours: each of their envelope ports answers records.*.
      neighbours: () => this.cells.flatMap((c) => this.treeNeighbours(c)),
      holdersOf: (collection) => this.holdersOf(collection),
      moderators: moderatorsFromEnv(),
      syncEveryMs: positiveEnv('BORG_RECORDS_SYNC_MS', 10_000),
    }))
    for (const cell of this.cells) {
      records.register(cell.netRouter)
      records.register(cell.receptorRouter, { control: true })
    }
    await records.openModeration()
    this.publisher = new ServicePublisher(await records.open(servicesPolicy()), signer, positiveEnv('BORG_SERVICE_TTL', DEFAULT_TTL_SECONDS))
    try {
      for (const cell of this.cells) await cell.listen()
      this.warnings = await this.joinContacts(contacts)
    } catch (error) {
      const explained = await this.explainListenFailure(error).catch(() => error)
      await Promise.all(this.cells.map((c) => c.stop().catch(() => {})))
      await this.portMapping?.close()
      throw explained
    }
    for (const warning of this.warnings) this.log.warn(warning)
    await writeRunning(home, this.running())
    if (this.learning) void this.mapPorts()
    await this.publishService()
    records.start()
    this.log.info(`node ${this.nodeId.slice(0, 18)}… up with cells ${this.cells.map((c) => `${c.name}@${c.endpoints.net}`).join(', ')}`)
  }

  running(): RunningNode {
    return {
      pid: process.pid,
      nodeId: this.nodeId,
      startedAt: new Date().toISOString(),
      version: BORG_VERSION,
      portBase: this.options.portBase,
      cells: Object.fromEntries(this.cells.map((c) => [c.name, c.endpoints])),
      ...this.localEndpoints(),
      ...(this.portMapping ? { portMapping: this.portMapping.status() } : {}),
      ...(this.warnings.length > 0 ? { warnings: this.warnings } : {}),
    }
  }

  /**
   * What to advertise: the given address; else the bound one. A node bound to every interface
   * starts with its primary address (local-address.ts) and learns a better one as it goes: the
   * router's external address once it forwards the net ports (mapPorts), and the address its
   * neighbours reached it at when they dial it back (CellInstance onSeenAs).
   */
  private async chooseAdvertiseHost(): Promise<string> {
    const { advertiseHost, portBase } = this.options
    const bindHost = this.bindHost
    if (advertiseHost) return advertiseHost
    if (!isWildcard(bindHost)) return bindHost
    if (portBase === OS_ASSIGNED_PORTS) throw new BorgError('usage', `OS-assigned ports need a bind host to advertise, not ${bindHost}`)
    this.learning = true
    const host = await primaryAddress()
    this.log.info(`listening on every interface: advertising ${host} until the router or the neighbours say where others reach this node`)
    return host
  }

  /** Ask the router to forward the cells' net ports (UPnP IGD, else NAT-PMP); advertise its external address. */
  private async mapPorts(): Promise<void> {
    const netPorts = this.options.cells.map((cell) => cellPorts(cell, this.options.portBase as number).net)
    // Loaded only here: SSDP, SOAP and XML are for nodes asking a router, not for every start.
    const { PortMapping } = await import('./port-mapping.js')
    const mapping = await PortMapping.open(netPorts, this.clock, this.log).catch((error: Error) => {
      this.log.warn(`port mapping failed: ${error.message}`)
      return undefined
    })
    if (!mapping) return
    if (this.stopped) return void (await mapping.close())
    this.portMapping = mapping
    await this.readvertise(mapping.externalAddress, `the router (${mapping.status().method}) forwards its net ports there`)
  }

  /** Every cell is now reached at `host` (a node listening on every interface learned it). */
  private async readvertise(host: string, why: string): Promise<void> {
    if (host === this.advertiseHost || this.stopped) return
    this.log.info(`advertising ${host}: ${why}`)
    this.advertiseHost = host
    for (const cell of this.cells) cell.readvertise(host)
    await writeRunning(this.options.home, this.running()).catch((error: Error) => this.log.warn(`could not update the running file: ${error.message}`))
  }

  /** RunningNode.local: the cells' endpoints at the bound address (loopback for a wildcard), when that is not what is advertised. */
  private localEndpoints(): { local?: Record<string, RunningCell> } {
    const host = localHostFor(this.bindHost)
    if (host === this.advertiseHost) return {}
    const at = (endpoint: string) => formatEndpoint({ host, port: parseEndpoint(endpoint).port })
    return { local: Object.fromEntries(this.cells.map((c) => [c.name, { net: at(c.endpoints.net), recp: at(c.endpoints.recp), mon: at(c.endpoints.mon) }])) }
  }

  private directory(): Directory {
    return { nodeId: this.nodeId, cells: Object.fromEntries(this.cells.map((c) => [c.name, c.endpoints])) }
  }

  private registerNodeKinds(cell: CellInstance): void {
    // A public question whose body is not read (any body asks it).
    for (const router of [cell.netRouter, cell.receptorRouter]) router.on(DIRECTORY_KIND, ANYONE, (_m, r) => r?.reply(NODE_CODECS.directoryReply.encode(this.directory())))
    // Every envelope port answers pings: `borg node ping HOST:PORT` works whichever port a user was given.
    registerPing(cell.netRouter, this.clock, BORG_VERSION)
    registerPing(cell.receptorRouter, this.clock, BORG_VERSION)
    // Control only from this node's own key (a command run with the same BORG_HOME).
    const own = ownKey(this.nodeId)
    const control = (kind: string, handler: (m: Incoming, r: Responder) => void) => cell.receptorRouter.on(kind, own, (m, r) => r && handler(m, r))
    control(CONTROL.leave, (_m, r) => {
      r.reply(NODE_CODECS.leaveReply.encode({ leaving: true }))
      void this.leave()
    })
    control(CONTROL.broadcast, (m, r) => {
      const { cell: name, text } = NODE_CODECS.broadcast.decode(m)
      const target = this.cell(name)
      const at = this.clock.now()
      const bid = target.tree.broadcast(NOTE_KIND, noteBody(text), BodyType.json)
      r.reply(NODE_CODECS.broadcastReply.encode({ bid, at, cell: target.name, treeSize: target.tree.status().treeSize }))
    })
    control(CONTROL.send, (m, r) => {
      const { cell: name, text, position, node } = NODE_CODECS.send.decode(m)
      const target = this.cell(name)
      // Positions are 1…size, so one beyond the size this node knows would only wait in an outbox for nobody.
      const size = target.tree.status().treeSize
      if (position !== undefined && size !== undefined && position > size) {
        return r.fail('not-found', `position ${position} does not exist: the ${target.name} tree has ${size} member${size === 1 ? '' : 's'} (positions 1 to ${size})`)
      }
      target.tree.sendTo({ position, node }, NOTE_KIND, noteBody(text), BodyType.json)
      r.reply(NODE_CODECS.sendReply.encode({ queued: target.tree.status().queues.outbox }))
    })
  }

  private cell(name: string | undefined): CellInstance {
    const found = name ? this.cells.find((c) => c.name === name) : this.cells[0]
    if (!found) throw new BorgError('not-found', `this node does not run a ${name} cell (it runs ${this.cells.map((c) => c.name).join(', ')})`)
    return found
  }

  /** Learn each contact's cell endpoints from its directory (any of its ports answers), then start the cells' trees. */
  private async joinContacts(contacts: Contact[]): Promise<string[]> {
    const waitMs = this.options.contactWaitMs ?? DEFAULT_CONTACT_WAIT_MS
    const outcome = await resolveContacts({ transport: this.cells[0]!.net, contacts, waitMs, log: this.log })
    const warnings = judgeContacts(
      outcome,
      this.cells.map((c) => c.name),
      { waitMs, alone: this.options.alone ?? false },
    )
    for (const cell of this.cells) cell.start(outcome.seeds.get(cell.name) ?? [])
    return warnings
  }

  /** A port already taken: say which cell's, and by what when that is cheap to learn. Other errors pass through. */
  private async explainListenFailure(error: unknown): Promise<unknown> {
    const taken = addressInUse(error)
    if (!taken) return error
    const roles = { net: 'net', recp: 'receptor', mon: 'monitor' } as const
    const owner = this.cells
      .flatMap((c) => (Object.keys(roles) as (keyof typeof roles)[]).map((role) => ({ cell: c.name, role: roles[role], port: parseEndpoint(c.endpoints[role]).port })))
      .find((p) => p.port === taken.port)
    const bind = this.bindHost
    const probeHost = localHostFor(bind)
    const [nodeId, listener] = await Promise.all([
      this.cells[0]!.net.client
        .resolvePin(formatEndpoint({ host: probeHost, port: taken.port }), undefined, this.clock.monotonic() + 1_500)
        .then((pin) => pin.nodeId, () => undefined),
      listeningProcess(taken.port).catch(() => undefined),
    ])
    const holder = { nodeId, pid: listener?.pid, command: listener?.command }
    const by = describeHolder(holder) ?? 'another program'
    const what = owner ? `port ${taken.port} (the ${owner.cell} cell's ${owner.role} port)` : `port ${taken.port}`
    return new BorgError('unavailable', `cannot start: ${what} on ${bind} is already in use by ${by}; stop that, or give this node another --port-base`, {
      cause: error,
      details: { host: bind, port: taken.port, ...(owner ? { cell: owner.cell, role: owner.role } : {}), holder },
    })
  }

  status(): { nodeId: string; version: string; pid: number; clock: { offsetMs: number }; cells: Record<string, unknown>[] } {
    return { nodeId: this.nodeId, version: BORG_VERSION, pid: process.pid, clock: { offsetMs: this.clock.offset }, cells: this.cells.map((c) => c.status()) }
  }

  /** A cell's parent and children in its tree (none before it listens or joins). */
  private treeNeighbours(cell: CellInstance): { id: string; endpoint: string }[] {
    try {
      const view = cell.tree.view
      return view ? [...(view.parent ? [view.parent] : []), ...view.children] : []
    } catch {
      return [] // not listening yet
    }
  }

  /** Other live nodes whose service record says they hold `collection` (their first cell's net endpoint). */
  private holdersOf(collection: string): { id: string; endpoint: string }[] {
    const services = this.records?.collection(SERVICES)
    if (!services || collection === SERVICES) return []
    return liveServices(services, Math.floor(this.clock.now() / 1000))
      .filter((s) => s.node !== this.nodeId && s.collections?.includes(collection) && s.cells[0])
      .map((s) => ({ id: s.node, endpoint: s.cells[0]!.net }))
  }

  /** What this node's service record says (docs/protocol.md §12.4). */
  private serviceInfo() {
    const cells = this.cells.map((c) => ({ cell: c, seen: c.reachableAs() }))
    const offers = cells.flatMap(({ seen }) => seen.offers)
    const capacity = Object.assign({}, ...offers.map((o) => o.capacity ?? {})) as { storageFreeBytes?: number; ledgerRepresentative?: boolean }
    const services = new Map<string, string>()
    for (const { cell } of cells) services.set(cell.name, BORG_VERSION)
    for (const o of offers) for (const s of o.services ?? []) services.set(s.name, s.version)
    // A public cell with relaying on takes relay reservations from private ones (docs/networking.md).
    if (cells.some(({ seen }) => seen.relaying)) services.set('relay', BORG_VERSION)
    return {
      version: BORG_VERSION,
      cells: cells.map(({ cell, seen }) => ({ type: cell.name, net: seen.net, recp: cell.endpoints.recp, reach: seen.reach })),
      services: [...services].map(([name, version]) => ({ name, version })),
      ...(Object.keys(capacity).length > 0 ? { capacity } : {}),
      collections: this.records?.collections().map((c) => c.name).filter((name) => name !== SERVICES),
    }
  }

  /** Sign this node's service record again (sequence + 1), every third of its TTL. */
  private async publishService(): Promise<void> {
    if (this.stopped || this.leaving || !this.publisher) return
    try {
      await this.publisher.publish(
        this.serviceInfo(),
        Math.floor(this.clock.now() / 1000),
      )
    } catch (error) {
      this.log.warn(`records: publishing this node's service record: ${(error as Error).message}`)
    }
    this.publishTimer = this.clock.after(this.publisher.refreshEveryMs, () => void this.publishService())
  }

  /** Hand every position over (the last node of each tree fills it), then stop. */
  async leave(): Promise<void> {
    if (this.leaving) return
    this.leaving = true
    // A signed leave: the service record is deleted here and pushed to the neighbours before the trees go.
    this.publishTimer?.cancel()
    await this.publisher?.leave(Math.floor(this.clock.now() / 1000)).catch(() => undefined)
    await Promise.race([this.records?.syncRound(), new Promise((r) => setTimeout(r, 3_000))]).catch(() => undefined)
    this.log.info('leaving: handing positions over')
    await Promise.all(this.cells.map((c) => new Promise<void>((resolve) => c.tree.leave(() => resolve()))))
    await this.stop()
    this.onLeave?.()
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.publishTimer?.cancel()
    await this.records?.close()
    await Promise.all(this.cells.map((c) => c.stop()))
    await this.portMapping?.close()
    await removeRunning(this.options.home)
  }
}
