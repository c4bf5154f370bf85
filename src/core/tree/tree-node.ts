/**
 * One node's membership in one tree (one cell type): joining, heartbeats and
 * failure detection, the root's and the deputies' duties, repair by moving the
 * last node into a hole, root failover, orphaning, merging of split trees,
 * broadcast and routed messages. Sans-I/O: it sees only Transport, Clock and
 * Random, so the same code runs over HTTPS and in the simulator.
 *
 * The root is the single sequencer of its tree: it holds the roster (position
 * → member) and every change to positions is its decision, stamped with an
 * epoch (term, seq). Deputies (positions 2 … 1+D) hold replicas so the root can
 * be replaced; the last node fills any hole, the root's included.
 */
import { BorgError } from '../errors.js'
import { bytesToHex } from '../bytes.js'
import { createLogger, type Logger } from '../log.js'
import type { Clock, Timer } from '../wire/clock.js'
import { BodyType, type Incoming, type Outgoing } from '../wire/message.js'
import type { Random } from '../wire/random.js'
import { ANYONE, type SenderRule } from '../wire/router.js'
import type { MessageHandler, Responder, Transport } from '../wire/transport.js'
import { BroadcastMemory } from './broadcaster.js'
import {
  KIND,
  contactsMessage,
  decoderFor,
  heartbeatReplyMessage,
  message,
  reusableMessage,
  type Broadcast,
  type TreeDecoder,
  type HeartbeatReply,
  type Route,
  type TreeInfo,
  type WhoisReply,
} from './codec.js'
import type { TreeConfig } from './config.js'
import { ContactBook } from './contacts.js'
import { Liveness } from './liveness.js'
import { plainMember, type Canon, type MemberTable } from './members.js'
import { Outbox, nodeDestination, positionDestination, type OutboxPersistence, type QueuedMessage } from './outbox.js'
import { childrenOf, firstChildOf, nextHop, parentOf } from './position.js'
import { Roster, type RosterOp } from './roster.js'
import { compareEpoch, type Epoch, type Member, type NodeState, type Placed, type View } from './types.js'

/** Internal broadcast kind: "this tree dissolves into another". */
const DISSOLVE_KIND = 'tree.dissolve'
/** Outbox destinations for node ids: see outbox.ts nodeDestination. */
const NODE_PREFIX = nodeDestination('')
const MAX_ROUTE_HOPS = 128
/** A queued joiner asks again after the root's estimated wait, but at most this many joinRetryMs later. */
const MAX_JOIN_WAIT_RETRIES = 10
const OP_LOG_LIMIT = 4096

/** Where a TreeNode registers its message kinds: a MessageRouter (src/core/wire/router.ts), or anything alike. */
export interface TreeRouter {
  on(kind: string, rule: SenderRule, handler: MessageHandler): unknown
}

export interface TreeNodeDeps {
  transport: Transport
  router: TreeRouter
  clock: Clock
  random: Random
  self: Member
  config: TreeConfig
  /** Used in log lines and status. */
  cell?: string
  log?: Logger
  outboxPersistence?: OutboxPersistence
  /** Share decoded members through this table (the simulator's many nodes share one); unset: plain copies. */
  members?: MemberTable
}

/** Bodies that never change are encoded once. */
const EMPTY_BODY = {}
const PROBE = message(KIND.probe, EMPTY_BODY)
const WHOIS = message(KIND.whois, EMPTY_BODY)
const SYNC_OK = message(KIND.syncReply, { ok: true })
const SYNC_NOT_OK = message(KIND.syncReply, { ok: false })
const LEAVE_OK = message(KIND.leaveReply, EMPTY_BODY)
const WHEREAMI_UNKNOWN = message(KIND.whereamiReply, EMPTY_BODY)
const HANDLED = [KIND.join, KIND.hb, KIND.probe, KIND.whereami, KIND.shuffle, KIND.whois, KIND.sync, KIND.leave, KIND.assign, KIND.suspect, KIND.promote, KIND.merge, KIND.bcast, KIND.route]

/** A broadcast or routed message handed to the application (the cell's organs). */
export interface Delivery {
  kind: string
  body: Uint8Array
  bodyType: BodyType
  /** Node id of the originator. */
  origin: string
  via: 'broadcast' | 'direct'
  bid?: string
  /** Broadcasts: links the copy crossed from the origin (0 at the origin itself). */
  hops?: number
}

export interface TreeStatus {
  cell: string
  id: string
  endpoint: string
  state: NodeState
  treeId?: string
  position?: number
  treeSize?: number
  epoch?: Epoch
  placedAt?: Epoch
  root?: Member
  parent?: Member
  children: Placed[]
  lastNode?: Placed
  deputies: Placed[]
  isDeputy: boolean
  queues: { join: number; repairs: number; outbox: number; outboxByDestination: Record<string, number>; outboxOverflowed: number }
  peersKnown: number
  broadcasts: BroadcastMemory['stats']
  routed: { delivered: number; forwarded: number; queued: number; dropped: number }
  events: { joins: number; repairs: number; failovers: number; orphaned: number; merges: number; dissolved: number; joinRounds: number }
}

export class TreeNode {
  state: NodeState = 'stopped'
  view?: View
  info?: TreeInfo
  /** The authoritative roster (root) or a replica (deputy). */
  roster?: Roster
  readonly contacts: ContactBook
  readonly outbox: Outbox
  readonly broadcasts: BroadcastMemory
  private readonly liveness: Liveness
  private readonly decode: TreeDecoder
  private readonly canon: Canon
  private readonly log: Logger
  private readonly config: TreeConfig
  private readonly self: Member
  private deliveryHandler: (delivery: Delivery) => void = () => {}
  private timers?: Timer[]
  private tickTimer?: Timer

  // joining
  /** The endpoints this node was started with: never forgotten, the last resort for finding the network. */
  private seeds: string[] = []
  /** Endpoints other joiners pointed us to. */
  private hints: string[] = []
  private rootHint?: Member
  private joinInFlight = false
  private joinQueuedAt = -Infinity
  /** How long the root said the queue would take (clamped): no repeated request before that. */
  private joinWaitMs = 0
  private lastJoinProgressAt = 0

  // member
  // Maps and sets below are allocated on first use: most nodes are leaves and
  // never need most of them, and an empty Map costs ~170 B (a simulated
  // million nodes would spend gigabytes on nothing).
  private grandchildrenMap?: Map<string, Placed[]>
  private get grandchildren(): Map<string, Placed[]> {
    return (this.grandchildrenMap ??= new Map())
  }
  private suspectSentAtMap?: Map<string, number>
  private get suspectSentAt(): Map<string, number> {
    return (this.suspectSentAtMap ??= new Map())
  }
  private orphanCheckInFlight = false
  private failoverInFlight = false

  // root
  private joinQueueMap?: Map<string, Member>
  private get joinQueue(): Map<string, Member> {
    return (this.joinQueueMap ??= new Map())
  }
  private joinTimer?: Timer
  private pendingDeadSet?: Set<number>
  private get pendingDead(): Set<number> {
    return (this.pendingDeadSet ??= new Set())
  }
  private repairing = false
  private opLogList?: { epoch: Epoch; ops: RosterOp[] }[]
  private get opLog(): { epoch: Epoch; ops: RosterOp[] }[] {
    return (this.opLogList ??= [])
  }
  private deputySyncedMap?: Map<string, Epoch>
  private get deputySynced(): Map<string, Epoch> {
    return (this.deputySyncedMap ??= new Map())
  }
  private lastMergeProbeAt = 0

  readonly routed = { delivered: 0, forwarded: 0, queued: 0, dropped: 0 }
  /** joinRounds: rounds (one parent's free slots) that admitted at least one joiner, while root. */
  readonly events = { joins: 0, repairs: 0, failovers: 0, orphaned: 0, merges: 0, dissolved: 0, joinRounds: 0 }

  constructor(private readonly deps: TreeNodeDeps) {
    this.config = deps.config
    this.decode = decoderFor(deps.members)
    this.canon = deps.members?.member ?? plainMember
    this.self = this.canon(deps.self.id, deps.self.endpoint)
    this.log = deps.log ?? createLogger(`tree${deps.cell ? `:${deps.cell}` : ''}`)
    this.contacts = new ContactBook(deps.config.maxContacts, this.canon)
    this.broadcasts = new BroadcastMemory(deps.config.broadcastMemoryMs, deps.config.recentBroadcasts)
    this.liveness = new Liveness(deps.config.heartbeatMs, deps.config.minFailTimeoutMs, deps.config.maxFailTimeoutMs)
    this.outbox = new Outbox(deps.config.outboxPerDestination, deps.config.outboxTotal, deps.outboxPersistence, (destination) =>
      this.log.warn(`outbox for ${destination} overflowed: oldest message dropped (${this.outbox.overflowed} so far)`, 'outbox-overflow'),
    )
    this.registerHandlers(deps.router)
  }

  // ---------------------------------------------------------------- lifecycle

  /** Join through any of these endpoints; with none reachable (or none given) found a tree alone. */
  start(bootstrap: string[] = [], known: Member[] = []): void {
    this.seeds = [...new Set(bootstrap.filter((e) => e !== this.self.endpoint))]
    for (const m of known) this.contacts.add(m, this.self.id)
    this.scheduleTick()
    if (this.seeds.length === 0 && this.contacts.size === 0) this.foundTree()
    else this.resetToJoin(undefined)
  }

  stop(): void {
    this.state = 'stopped'
    this.tickTimer?.cancel()
    this.joinTimer?.cancel()
    for (const t of this.timers ?? []) t.cancel()
    this.timers = undefined
  }

  /** Hand this node's position over gracefully, then stop. */
  leave(done?: (error: BorgError | null) => void): void {
    const view = this.view
    if (!view || this.state === 'joining') {
      this.stop()
      return done?.(null)
    }
    if (this.state === 'root') {
      this.rootLeave(done)
      return
    }
    this.request(view.root, message(KIND.leave, { treeId: view.treeId, member: this.self, position: view.position }), (error) => {
      this.stop()
      done?.(error)
    })
  }

  onDeliver(handler: (delivery: Delivery) => void): void {
    this.deliveryHandler = handler
  }

  // ------------------------------------------------------------------- status

  status(): TreeStatus {
    const view = this.view
    const info = this.info
    return {
      cell: this.deps.cell ?? 'tree',
      id: this.self.id,
      endpoint: this.self.endpoint,
      state: this.state,
      treeId: view?.treeId,
      position: view?.position,
      treeSize: this.roster && this.state === 'root' ? this.roster.size : info?.size,
      epoch: this.state === 'root' ? this.roster?.epoch : info?.epoch,
      placedAt: view?.epoch,
      root: info?.root ?? view?.root,
      parent: view?.parent,
      children: view?.children ?? [],
      lastNode: this.state === 'root' && this.roster ? this.roster.placed(this.roster.size) : info?.last,
      deputies: info?.deputies ?? view?.deputies ?? [],
      isDeputy: this.isDeputy(),
      queues: {
        join: this.joinQueueMap?.size ?? 0,
        repairs: this.pendingDeadSet?.size ?? 0,
        outbox: this.outbox.depth,
        outboxByDestination: this.outbox.byDestination(),
        outboxOverflowed: this.outbox.overflowed,
      },
      peersKnown: this.contacts.size,
      broadcasts: { ...this.broadcasts.stats },
      routed: { ...this.routed },
      events: { ...this.events },
    }
  }

  // ------------------------------------------------------------ messaging API

  /** Send a payload to every node of the tree (exactly once each). Returns the broadcast id. */
  broadcast(kind: string, body: Uint8Array, bodyType: BodyType = BodyType.binary): string {
    const bid = `${this.self.id.slice(0, 16)}:${bytesToHex(this.deps.random.bytes(8))}`
    const treeId = this.view?.treeId ?? ''
    const b: Broadcast = { treeId, bid, origin: this.self.id, kind, body: Buffer.from(body).toString('base64'), bodyType, hops: 0 }
    this.broadcasts.stats.originated++
    this.handleBroadcast(b, undefined)
    return bid
  }

  /** Send a payload to one position or node, routed along the tree; queued while undeliverable. */
  sendTo(dst: { position?: number; node?: string }, kind: string, body: Uint8Array, bodyType: BodyType = BodyType.binary): void {
    this.routeMessage({ treeId: this.view?.treeId, dst, src: this.self, kind, body: Buffer.from(body).toString('base64'), bodyType, hops: 0 })
  }

  // --------------------------------------------------------------- transport

  private send(to: Member, msg: Outgoing, onResult?: (error: BorgError | null, reply?: Incoming) => void, expectReply = false): void {
    // A Member is a Peer (endpoint, id); the transport only reads it.
    this.deps.transport.send(to, msg, { expectReply, timeoutMs: this.config.requestTimeoutMs, onResult: onResult && this.guarded(onResult) })
  }

  /** onResult wrapped like guard(), in one closure per request. */
  private guarded(onResult: (error: BorgError | null, reply?: Incoming) => void): (error: BorgError | null, reply?: Incoming) => void {
    return (error, reply) => {
      try {
        onResult(error, reply)
      } catch (e) {
        this.report(e)
      }
    }
  }

  private request(to: Member, msg: Outgoing, onResult: (error: BorgError | null, reply?: Incoming) => void): void {
    this.send(to, msg, onResult, true)
  }

  private after(ms: number, fn: () => void): void {
    const timer = this.deps.clock.after(ms, () => {
      const i = this.timers?.indexOf(timer) ?? -1
      if (i >= 0) this.timers!.splice(i, 1)
      if (this.state !== 'stopped') this.guard(fn)
    })
    ;(this.timers ??= []).push(timer)
  }

  /** Protocol callbacks must never take the process down: log and carry on. */
  private guard(fn: () => void): void {
    try {
      fn()
    } catch (error) {
      this.report(error)
    }
  }

  private report(error: unknown): void {
    if (error instanceof BorgError) this.log.warn(`${error.code}: ${error.message}`, `guard:${error.code}`)
    else this.log.error(`tree protocol error: ${(error as Error).stack ?? error}`)
  }

  private now(): number {
    return this.deps.clock.monotonic()
  }

  private dispatcher?: (m: Incoming, r: Responder | undefined) => void

  private registerHandlers(router: TreeRouter): void {
    // One function for every kind: per-kind closures cost ~2 KB per node, which adds up in a simulated million.
    this.dispatcher = (m, r) => this.dispatch(m, r)
    for (const kind of HANDLED) router.on(kind, ANYONE, this.dispatcher)
  }

  private dispatch(m: Incoming, r: Responder | undefined): void {
    if (this.state === 'stopped') return r?.fail('unavailable', 'node is stopped')
    try {
      this.handle(m, r)
    } catch (error) {
      if (error instanceof BorgError) r?.fail(error.code, error.message)
      else {
        this.log.error(`handler for ${m.kind} failed: ${(error as Error).stack ?? error}`)
        r?.fail('internal', `handler for ${m.kind} failed`)
      }
    }
  }

  private handle(m: Incoming, r: Responder | undefined): void {
    // The sender's id as the member table spells it: ids compared in hot loops are then the same string object.
    const from = this.deps.members?.id(m.fromHex) ?? m.fromHex
    switch (m.kind) {
      case KIND.join:
        return this.onJoin(m, r, from)
      case KIND.hb:
        return this.onHeartbeat(m, r, from)
      case KIND.probe:
        return r?.reply(message(KIND.probeReply, { state: this.state, treeId: this.view?.treeId, position: this.view?.position, epoch: this.info?.epoch, root: this.info?.root }))
      case KIND.whereami:
        return this.onWhereami(m, r, from)
      case KIND.shuffle: {
        // Peer sampling: trade a few contacts both ways, so every node's book
        // stays a random sample of the live network and not just of its own tree.
        const offered = this.decode.shuffle(m)
        r?.reply(contactsMessage(KIND.shuffleReply, this.contacts.random(this.deps.random, 4, from)))
        for (const c of offered.contacts) this.contacts.add(c, this.self.id)
        return
      }
      case KIND.whois:
        return r?.reply(message(KIND.whoisReply, { ...this.whois(), contacts: this.contacts.random(this.deps.random, 4, from) }))
      case KIND.sync:
        return this.onSync(m, r, from)
      case KIND.leave:
        return this.onLeave(m, r, from)
      case KIND.assign:
        return this.adoptView(this.decode.assign(m), 'assign')
      case KIND.suspect:
        return this.onSuspect(m)
      case KIND.promote:
        return this.onPromote(m)
      case KIND.merge:
        return this.onMergeHint(m, from)
      case KIND.bcast:
        return this.handleBroadcast(this.decode.broadcast(m), from)
      case KIND.route:
        return this.routeMessage(this.decode.route(m))
    }
  }

  // -------------------------------------------------------------------- ticks

  private scheduleTick(): void {
    const jitter = 0.9 + 0.2 * this.deps.random.float()
    // One callback for the node's life, not a closure per beat.
    this.tickTimer = this.deps.clock.after(this.config.heartbeatMs * jitter, (this.onTick ??= () => this.ticked()))
  }

  private onTick?: () => void

  private ticked(): void {
    if (this.state === 'stopped') return
    try {
      this.tick()
    } catch (error) {
      this.report(error)
    }
    this.scheduleTick()
  }

  private lastShuffleAt = 0

  private shuffle(now: number): void {
    if (now - this.lastShuffleAt < this.config.shuffleMs) return
    this.lastShuffleAt = now
    const target = this.contacts.random(this.deps.random, 1)[0]
    if (!target) return
    const offer = [this.self, ...this.contacts.random(this.deps.random, 3, target.id)]
    this.request(target, contactsMessage(KIND.shuffle, offer), (error, reply) => {
      if (error || !reply) return this.contacts.remove(target.id) // gone: make room for someone alive
      for (const c of this.decode.shuffle(reply).contacts) this.contacts.add(c, this.self.id)
    })
  }

  private tick(): void {
    const now = this.now()
    this.broadcasts.prune(now)
    this.shuffle(now)
    if (this.state === 'joining') return this.joinTick(now)
    const view = this.view
    if (!view) return
    if (view.parent) this.heartbeatParent(view, now)
    for (const child of view.children) {
      if (this.liveness.isSuspected(child.id, now)) this.reportSuspect(child, now)
    }
    if (this.state === 'root') this.rootTick(now)
    this.rerouteHeld()
  }

  // ------------------------------------------------------------------ joining

  private resetToJoin(target: Member | undefined): void {
    this.leaveRootDuties()
    this.view = undefined
    this.info = undefined
    this.roster = undefined
    this.grandchildrenMap = undefined
    this.childrenAcked = undefined
    this.suspectSentAtMap = undefined
    this.liveness.clear()
    this.state = 'joining'
    this.rootHint = target
    this.rootHintTree = undefined
    this.nextHint = undefined
    this.joinQueuedAt = -Infinity
    this.joinWaitMs = 0
    this.lastJoinProgressAt = this.now()
    if (target) this.contacts.add(target, this.self.id)
    this.attemptJoin()
  }

  private joinTick(now: number): void {
    const retryMs = Math.max(this.config.joinRetryMs, this.joinWaitMs)
    const waitingForAssignment = now - this.joinQueuedAt < retryMs
    if (!this.joinInFlight && !waitingForAssignment) this.attemptJoin()
    // Told to wait longer than joinRetryMs: that much more patience before seeking another tree.
    if (now - this.lastJoinProgressAt > this.config.aloneAfterMs + (retryMs - this.config.joinRetryMs)) {
      this.lastJoinProgressAt = now
      this.seekRootOrFound(`no contact admitted us for ${this.config.aloneAfterMs} ms`)
    }
  }

  /**
   * Before founding a tree alone, ask a few known nodes who their root is and
   * join the largest tree heard of: far fewer one-node trees to merge later.
   */
  private seekInFlight = false

  private seekRootOrFound(why: string): void {
    if (this.seekInFlight) return
    this.seekInFlight = true
    const view = this.view
    const excludeTree = view?.treeId
    const candidates: { endpoint: string; id?: string }[] = [
      ...this.contacts.random(this.deps.random, 6),
      ...this.seeds.slice(0, 2).map((endpoint) => ({ endpoint })),
    ]
    let pending = candidates.length
    let best: { root: Member; size: number } | undefined
    const finish = () => {
      if (--pending > 0) return
      this.seekInFlight = false
      if (this.state === 'stopped' || this.view !== view) return
      if (best) {
        this.log.info(`${why}: joining the tree of root ${best.root.id.slice(0, 12)} (size ${best.size})`)
        return this.resetToJoin(best.root)
      }
      this.log.info(`${why}: founding a tree alone`)
      this.foundTree()
    }
    if (pending === 0) return void (pending = 1, finish())
    for (const c of candidates) {
      this.deps.transport.send(c, WHOIS, {
        expectReply: true,
        timeoutMs: this.config.requestTimeoutMs,
        onResult: (error, reply) =>
          this.guard(() => {
            try {
              if (error || !reply) return
              const w = this.decode.whoisReply(reply)
              for (const option of [w.root && w.size && w.treeId ? { root: w.root, size: w.size, treeId: w.treeId } : undefined, w.best]) {
                if (!option || option.root.id === this.self.id || option.treeId === excludeTree) continue
                if (!best || option.size > best.size || (option.size === best.size && option.root.id < best.root.id)) best = { root: option.root, size: option.size }
              }
            } finally {
              finish()
            }
          }),
      })
    }
  }

  private joinCandidates(): { endpoint: string; id?: string }[] {
    const out: { endpoint: string; id?: string }[] = []
    if (this.rootHint) out.push(this.rootHint)
    for (const c of this.contacts.random(this.deps.random, 4)) out.push(c)
    for (const e of [...this.hints, ...this.seeds]) out.push({ endpoint: e })
    return out
  }

  private joinAttempt = 0
  /** The tree of `rootHint` when an answer named it (queued, redirect): other joiners are redirected there. */
  private rootHintTree?: { treeId: string; size: number }
  /** After a 'try': the first endpoint it named, asked next (pointer jumping: each asks what the other found). */
  private nextHint?: string
  /** Endpoints asked lately: a hint pointing back among them is a cycle, so take turns instead. */
  private recentTargets?: string[]
  /** This node's join request (always the same body) while joining. */
  private joinMessage?: Outgoing

  private attemptJoin(): void {
    if (this.state !== 'joining' || this.joinInFlight) return
    // The root we were pointed at first; then where the last 'try' pointed; otherwise take turns among what we know.
    let target: { endpoint: string; id?: string } | undefined = this.rootHint
    const hint = this.nextHint
    this.nextHint = undefined
    if (!target && hint !== undefined && !this.recentTargets?.includes(hint)) target = { endpoint: hint }
    if (!target) {
      const candidates = this.joinCandidates()
      if (candidates.length === 0) return
      target = candidates[this.joinAttempt++ % candidates.length]!
    }
    const recent = (this.recentTargets ??= [])
    recent.push(target.endpoint)
    if (recent.length > 8) recent.shift()
    this.joinInFlight = true
    this.deps.transport.send(target, (this.joinMessage ??= reusableMessage(KIND.join, { member: this.self })), {
      expectReply: true,
      timeoutMs: this.config.requestTimeoutMs,
      onResult: (error, reply) =>
        this.guard(() => {
          this.joinInFlight = false
          if (this.state !== 'joining') return
          if (error || !reply) {
            if (this.rootHint && target.endpoint === this.rootHint.endpoint) {
              this.rootHint = undefined
              this.rootHintTree = undefined
            }
            return this.after(this.config.joinTickMs, () => this.attemptJoin()) // next candidate soon
          }
          const r = this.decode.joinReply(reply)
          this.lastJoinProgressAt = this.now()
          if (r.status === 'try') {
            // The contact is joining too: follow its hints (towards whoever it is waiting on), its best one first.
            const fresh = (r.endpoints ?? []).filter((e) => e !== this.self.endpoint)
            this.hints = [...new Set([...fresh, ...this.hints])].slice(0, 16)
            this.nextHint = fresh.find((e) => e !== target.endpoint)
            return this.after(this.config.joinTickMs, () => this.attemptJoin())
          }
          this.contacts.add(r.root!, this.self.id)
          this.rootHint = r.root
          this.rootHintTree = { treeId: r.treeId!, size: r.size! }
          if (r.status === 'queued') {
            this.joinQueuedAt = this.now()
            this.joinWaitMs = Math.min(r.wait ?? 0, MAX_JOIN_WAIT_RETRIES * this.config.joinRetryMs)
          }
          else if (r.root!.id !== this.self.id) this.attemptJoin() // redirected: ask the root itself now
        }),
    })
  }

  /** The last 'queued' (root: keyed by roster epoch) or 'redirect' (member: keyed by info or view) answer. */
  private joinAnswer?: { key: object; treeId: string; wait?: number; message: Outgoing }

  private onJoin(m: Incoming, r: Responder | undefined, from: string): void {
    const { member } = this.decode.join(m)
    if (member.id !== from) throw new BorgError('refused', 'a node can only ask to join for itself')
    if (this.state === 'root' && this.roster && this.view) {
      this.enqueueJoiner(member)
      // The wait: whole ticks until the queue (this joiner included) is admitted.
      const perTick = this.config.roundsPerTick * this.config.maxChildren
      const wait = Math.ceil(this.joinQueue.size / perTick) * this.config.joinTickMs
      // The same answer for every joiner until the roster or the wait changes: encoded once for all of them.
      const { epoch, size } = this.roster
      const treeId = this.view.treeId
      if (this.joinAnswer?.key !== epoch || this.joinAnswer.treeId !== treeId || this.joinAnswer.wait !== wait) {
        const body = { status: 'queued', treeId, root: this.self, size, wait }
        this.joinAnswer = { key: epoch, treeId, wait, message: reusableMessage(KIND.joinReply, body) }
      }
      return r?.reply(this.joinAnswer.message)
    }
    const root = this.info?.root ?? this.view?.root
    if (this.state === 'member' && root && this.view) {
      const key = this.info ?? this.view
      if (this.joinAnswer?.key !== key || this.joinAnswer.treeId !== this.view.treeId) {
        const body = { status: 'redirect', treeId: this.view.treeId, root, size: this.info?.size ?? this.view.size }
        this.joinAnswer = { key, treeId: this.view.treeId, message: reusableMessage(KIND.joinReply, body) }
      }
      return r?.reply(this.joinAnswer.message)
    }
    // Joining ourselves, queued at a root (or sent to one): send the asker there too.
    if (this.state === 'joining' && this.rootHint && this.rootHintTree && this.rootHint.id !== member.id) {
      return r?.reply(message(KIND.joinReply, { status: 'redirect', treeId: this.rootHintTree.treeId, root: this.rootHint, size: this.rootHintTree.size }))
    }
    // Otherwise point the asker where we are looking (towards a root).
    const endpoints = [...(this.rootHint ? [this.rootHint.endpoint] : []), ...this.hints.slice(0, 4), ...this.seeds, ...this.contacts.random(this.deps.random, 4).map((c) => c.endpoint)]
    r?.reply(message(KIND.joinReply, { status: 'try', endpoints: [...new Set(endpoints)].filter((e) => e !== member.endpoint).slice(0, 8) }))
  }

  /** Start a new tree with this node as its root. */
  private foundTree(): void {
    const treeId = bytesToHex(this.deps.random.bytes(16))
    this.roster = new Roster(treeId, { term: 1, seq: 0 }, this.config.maxChildren, this.config.deputies, this.canon)
    this.roster.apply({ op: 'set', position: 1, member: this.self })
    this.becomeRoot()
  }

  private becomeRoot(): void {
    const roster = this.roster!
    const previous = new Set(this.neighbours().map((n) => n.id))
    this.state = 'root'
    this.view = roster.viewFor(1)
    this.info = this.infoFromRoster()
    this.deputySyncedMap = undefined
    this.opLogList = undefined
    this.lastMergeProbeAt = this.now()
    this.prepareLinks(previous)
    for (const child of this.view.children) {
      this.liveness.watch(child.id, this.now())
      // New links (a promoted last node has all-new children): resend what they may have missed.
      if (!previous.has(child.id)) this.resendRecent(child)
    }
    this.log.info(`root of tree ${roster.treeId.slice(0, 8)} (size ${roster.size}, term ${roster.epoch.term})`)
    this.rerouteHeld()
  }

  // -------------------------------------------------------------------- views

  private infoFromRoster(): TreeInfo {
    const roster = this.roster!
    return {
      treeId: roster.treeId,
      epoch: { ...roster.epoch },
      size: roster.size,
      root: roster.placed(1),
      deputies: roster.deputies(),
      last: roster.placed(roster.size),
    }
  }

  /** Take on an assignment from the root (or a whereami answer). */
  private adoptView(view: View, source: string): void {
    if (this.state === 'stopped') return
    const current = this.view
    if (current && current.treeId === view.treeId) {
      if (compareEpoch(view.epoch, current.epoch) <= 0) return // stale
    } else if (this.state !== 'joining') {
      return // an assignment from a tree we are not joining
    }
    if (view.position === 1 && !(this.roster && this.roster.treeId === view.treeId && this.roster.at(1)?.id === this.self.id)) {
      return // only a promote makes a node root: it needs the roster
    }
    const previousNeighbours = new Set(this.neighbours().map((n) => n.id))
    const wasJoining = this.state === 'joining'
    this.view = view
    if (this.state !== 'root') this.state = view.position === 1 ? 'root' : 'member'
    if (!this.info || this.info.treeId !== view.treeId || compareEpoch(view.epoch, this.info.epoch) > 0) {
      this.info = { treeId: view.treeId, epoch: view.epoch, size: view.size, root: view.root, deputies: view.deputies, last: view.last }
    }
    if (wasJoining) {
      this.events.joins++
      // Joining-only state: a later rejoin starts from contacts, which are fresher.
      this.hints = []
      this.rootHintTree = undefined
      this.recentTargets = undefined
      this.nextHint = undefined
      this.joinMessage = undefined
      this.log.debug(`joined tree ${view.treeId.slice(0, 8)} at position ${view.position} (${source})`)
    }
    const carried = wasJoining ? this.carryOverBroadcasts(view.treeId) : 0
    // Deputies that no longer are drop their replica.
    if (this.state !== 'root' && !this.isDeputy()) this.roster = undefined
    const now = this.now()
    const keep = new Set<string>()
    for (const n of this.neighbours()) {
      keep.add(n.id)
      this.liveness.watch(n.id, now)
      this.contacts.add(n, this.self.id)
    }
    this.liveness.retain(keep)
    this.prepareLinks(previousNeighbours)
    const grandchildren = this.grandchildrenMap
    if (grandchildren) for (const id of grandchildren.keys()) if (!keep.has(id)) grandchildren.delete(id)
    for (const m of [view.root, ...view.deputies]) this.contacts.add(m, this.self.id)
    // Repaired links: resend what the new neighbour may have missed, flush queued messages.
    for (const n of this.placedNeighbours()) {
      if (!previousNeighbours.has(n.id) || carried > 0) this.resendRecent(n)
      this.flushPosition(n)
    }
    if (wasJoining) this.rerouteHeld()
  }

  /**
   * A node that moved to another tree (its own dissolved, or it was orphaned and
   * rejoined) brings along what was broadcast recently in the old one, so a
   * broadcast survives splits and merges. Ids are kept, so nobody delivers twice.
   */
  private carryOverBroadcasts(treeId: string): number {
    let carried = 0
    for (const b of this.broadcasts.recentSince(this.now(), this.config.broadcastMemoryMs)) {
      if (b.treeId === treeId || b.kind === DISSOLVE_KIND) continue
      this.broadcasts.adopt({ ...b, treeId }, this.now())
      carried++
    }
    return carried
  }

  /** New links: the transport may learn their pins and open connections before the first heartbeat needs them. */
  private prepareLinks(previous: Set<string>): void {
    const transport = this.deps.transport
    if (!transport.prepare) return
    for (const n of this.neighbours()) if (!previous.has(n.id)) transport.prepare(n)
  }

  private neighbours(): Member[] {
    const v = this.view
    if (!v) return []
    return v.parent ? [v.parent, ...v.children] : [...v.children]
  }

  private placedNeighbours(): Placed[] {
    const v = this.view
    if (!v) return []
    const out: Placed[] = [...v.children]
    if (v.parent) out.push({ ...v.parent, position: parentOf(v.position, this.config.maxChildren) })
    return out
  }

  private isDeputy(): boolean {
    const v = this.view
    return !!v && v.position >= 2 && v.position <= 1 + this.config.deputies
  }

  // --------------------------------------------------------------- heartbeats

  /** The children list (of the current view) the parent has acknowledged: later heartbeats leave it out. */
  private childrenAcked?: Placed[]
  private hbCache?: { view: View; known: Epoch | undefined; withChildren: boolean; message: Outgoing | undefined }

  private heartbeatParent(view: View, now: number): void {
    const parent = view.parent!
    const parentPosition = parentOf(view.position, this.config.maxChildren)
    const withChildren = this.childrenAcked !== view.children
    const known = this.info && this.info.treeId === view.treeId ? this.info.epoch : undefined
    // Unchanged view and info: the same body as last beat, encoded once (kept for reuse from its second use
    // on: while a tree grows, info changes between most beats).
    // Only the key is kept after a first use: a kept pooled body would pin its slab.
    const cached = this.hbCache
    const same = cached !== undefined && cached.view === view && cached.known === known && cached.withChildren === withChildren
    let hbMessage = same ? cached.message : undefined
    if (!hbMessage) {
      const hb = withChildren
        ? { treeId: view.treeId, epoch: view.epoch, position: view.position, children: view.children, known }
        : { treeId: view.treeId, epoch: view.epoch, position: view.position, known }
      hbMessage = same ? reusableMessage(KIND.hb, hb) : message(KIND.hb, hb)
      this.hbCache = { view, known, withChildren, message: same ? hbMessage : undefined }
    }
    this.request(parent, hbMessage, (error, reply) => {
      if (error || !reply || this.view !== view) return
      this.liveness.heard(parent.id, this.now())
      const answer = this.decode.heartbeatReply(reply)
      if (!answer.childOk || answer.wantChildren) this.childrenAcked = undefined
      else if (withChildren) this.childrenAcked = view.children
      this.onHeartbeatReply(view, answer)
      this.flushPosition({ ...parent, position: parentPosition })
    })
    if (!this.liveness.isSuspected(parent.id, now)) return
    const placedParent = { ...parent, position: parentPosition }
    if (parentPosition === 1 && this.isDeputy()) this.considerFailover(view)
    else this.reportSuspect(placedParent, now)
    if (this.liveness.silence(parent.id, now) > this.config.orphanAfterMs) this.orphanCheck(view)
  }

  private onHeartbeatReply(view: View, reply: HeartbeatReply): void {
    for (const c of reply.contacts) this.contacts.add(c, this.self.id)
    const info = reply.info
    if (info && info.treeId !== view.treeId) {
      // The parent now belongs to another tree (ours dissolved or it was orphaned): follow it.
      this.log.info(`parent moved to tree ${info.treeId.slice(0, 8)}: rejoining there`)
      return this.resetToJoin(info.root)
    }
    if (info && (!this.info || compareEpoch(info.epoch, this.info.epoch) > 0)) this.info = info
    if (!reply.childOk) {
      // Either we are stale (ask the root where we are) or the parent is (its assignment is on the way).
      if (compareEpoch(reply.epoch, view.epoch) >= 0) this.whereami(view)
    }
  }

  private onHeartbeat(m: Incoming, r: Responder | undefined, from: string): void {
    const hb = this.decode.heartbeat(m)
    const view = this.view
    // Children sit in position order from the first child's position: look up the one claimed, not each in turn.
    const claimed = view ? view.children[hb.position - firstChildOf(view.position, this.config.maxChildren)] : undefined
    const child = claimed?.id === from ? claimed : undefined
    const childOk = !!view && view.treeId === hb.treeId && !!child && child.position === hb.position
    if (!childOk && view && view.treeId === hb.treeId && compareEpoch(hb.epoch, view.epoch) > 0 && this.state === 'member') {
      // A node with a newer assignment says it is our child: ours was lost on the way. Ask the root.
      this.refreshView(view)
    }
    let wantChildren: true | undefined
    if (childOk) {
      this.liveness.heard(from, this.now())
      if (hb.children) this.grandchildren.set(from, hb.children)
      else if (!this.grandchildrenMap?.has(from)) wantChildren = true
      this.flushPosition(child!)
    }
    // Tree-wide info only when the child lacks it (same content as before: it ignores what is not newer).
    const known = this.state === 'root' && this.roster ? this.roster.epoch : this.info?.epoch
    const treeId = this.state === 'root' && this.roster ? this.roster.treeId : this.info?.treeId
    const stale = !hb.known || treeId !== hb.treeId || (known !== undefined && compareEpoch(known, hb.known) > 0)
    const info = !stale ? undefined : this.state === 'root' && this.roster ? this.infoFromRoster() : this.info
    const contacts = this.contacts.random(this.deps.random, 3, from)
    r?.reply(heartbeatReplyMessage({ childOk, epoch: view?.epoch ?? { term: 0, seq: 0 }, info, contacts, wantChildren }))
  }

  private reportSuspect(peer: Placed, now: number): void {
    const key = `${peer.position}:${peer.id}`
    if (now - (this.suspectSentAt.get(key) ?? -Infinity) < this.config.minFailTimeoutMs) return
    this.suspectSentAt.set(key, now)
    const view = this.view!
    if (this.state === 'root') return this.handleSuspect(peer.position, peer.id)
    const root = this.info?.root ?? view.root
    this.send(root, message(KIND.suspect, { treeId: view.treeId, position: peer.position, id: peer.id }))
  }

  /** Parent silent for long: is the tree still there for us? */
  private orphanCheck(view: View): void {
    if (this.orphanCheckInFlight) return
    this.orphanCheckInFlight = true
    // Who is our root now? The one we know of, or whoever the deputies and
    // contacts of our tree say (a failover may have happened out of our sight).
    const asked = [this.info?.root ?? view.root, ...(this.info?.deputies ?? view.deputies), ...this.contacts.random(this.deps.random, 3)].filter(
      (m, i, all) => m.id !== this.self.id && all.findIndex((x) => x.id === m.id) === i,
    )
    const orphaned = () => {
      this.events.orphaned++
      for (const n of this.neighbours()) this.contacts.add(n, this.self.id)
      // Orphans of one failure all notice at about the same time. A random
      // delay lets the first few found trees that the others then find and join.
      this.after(this.deps.random.int(this.config.orphanAfterMs / 2) + 1, () => {
        this.orphanCheckInFlight = false
        if (this.view === view) this.seekRootOrFound(`cut off from the root of tree ${view.treeId.slice(0, 8)}`)
      })
    }
    this.findRootOf(view.treeId, asked, 0, (root) => {
      if (this.view !== view) return void (this.orphanCheckInFlight = false)
      if (!root) return orphaned()
      this.request(root, message(KIND.whereami, { treeId: view.treeId, member: this.self }), (error, reply) => {
        if (this.view !== view) return void (this.orphanCheckInFlight = false)
        if (error || !reply) return orphaned() // named, but silent too
        this.orphanCheckInFlight = false
        const answer = this.decode.whereamiReply(reply)
        if (answer.view) this.adoptView(answer.view, 'whereami')
        else this.resetToJoin(root)
      })
    })
  }

  /** Ask one after another who the root of `treeId` is; undefined if nobody reachable knows. */
  private findRootOf(treeId: string, asked: Member[], index: number, done: (root: Member | undefined) => void): void {
    if (index >= asked.length) return done(undefined)
    this.request(asked[index]!, WHOIS, (error, reply) => {
      if (!error && reply) {
        const w = this.decode.whoisReply(reply)
        // A root itself, or news of another root than the one we know (which is silent: it was asked first).
        const knownRoot = this.info?.treeId === treeId ? this.info.root.id : this.view?.root.id
        if (w.treeId === treeId && w.root && (w.state === 'root' || w.root.id !== knownRoot)) {
          return done(w.state === 'root' ? asked[index]! : w.root)
        }
      }
      this.findRootOf(treeId, asked, index + 1, done)
    })
  }

  private anyAlive(members: Member[], done: (alive: boolean) => void, index = 0): void {
    if (index >= members.length) return done(false)
    this.request(members[index]!, PROBE, (error) => (error ? this.anyAlive(members, done, index + 1) : done(true)))
  }

  private lastRefreshAt = -Infinity

  private refreshView(view: View): void {
    const now = this.now()
    if (now - this.lastRefreshAt < this.config.heartbeatMs) return
    this.lastRefreshAt = now
    this.whereami(view)
  }

  private whereami(view: View): void {
    const root = this.info?.root ?? view.root
    this.request(root, message(KIND.whereami, { treeId: view.treeId, member: this.self }), (error, reply) => {
      if (error || !reply || this.view !== view) return
      const answer = this.decode.whereamiReply(reply)
      if (answer.view) this.adoptView(answer.view, 'whereami')
      else {
        this.log.info(`root no longer lists us in tree ${view.treeId.slice(0, 8)}: rejoining`)
        this.resetToJoin(root)
      }
    })
  }

  private onWhereami(m: Incoming, r: Responder | undefined, from: string): void {
    const { member } = this.decode.whereami(m)
    if (member.id !== from) throw new BorgError('refused', 'whereami is only answered for the asking node')
    if (this.state !== 'root' || !this.roster) return r?.fail('unavailable', 'not the root')
    const position = this.roster.positionOf(member.id)
    if (position === undefined) return r?.reply(WHEREAMI_UNKNOWN)
    if (this.roster.at(position)!.endpoint !== member.endpoint) this.commit([{ op: 'set', position, member }], [position])
    r?.reply(message(KIND.whereamiReply, { view: this.roster.viewFor(position) }))
  }

  private whois(): WhoisReply {
    const now = this.now()
    const best = this.bestRoot(now)
    const rumour = best ? { best: { treeId: best.treeId, root: best.root, size: best.size, age: Math.round(now - best.at) } } : {}
    if (this.state === 'root' && this.roster) {
      return { state: 'root', treeId: this.roster.treeId, epoch: this.roster.epoch, root: this.self, size: this.roster.size, ...rumour }
    }
    if (this.state === 'member' && this.info) {
      return { state: 'member', treeId: this.info.treeId, epoch: this.info.epoch, root: this.info.root, size: this.info.size, ...rumour }
    }
    return { state: this.state, ...rumour }
  }

  /**
   * The largest tree heard of lately (a rumour spread by whois answers), so
   * small trees left by a split dissolve straight into the largest one
   * instead of merging pairwise.
   */
  private best?: { treeId: string; root: Member; size: number; at: number }

  /** `ageMs`: how old the news is. Relays pass the age on, so a rumour about a vanished tree dies out. */
  private hearOfTree(treeId: string, root: Member, size: number, ageMs = 0): void {
    const now = this.now()
    const at = now - Math.max(0, ageMs)
    const current = this.bestRoot(now)
    const better = !current || size > current.size || (size === current.size && root.id < current.root.id)
    const fresher = !!current && current.root.id === root.id && at > current.at
    if (better || fresher) this.best = { treeId, root, size, at }
    this.bestRoot(now) // drop it at once if already too old
  }

  private forgetTree(rootId: string): void {
    if (this.best?.root.id === rootId) this.best = undefined
  }

  private bestRoot(now: number): { treeId: string; root: Member; size: number; at: number } | undefined {
    if (this.best && now - this.best.at > 10 * this.config.mergeProbeMs) this.best = undefined
    return this.best
  }

  // --------------------------------------------------------------- root duties

  private rootTick(now: number): void {
    const roster = this.roster!
    // A deputy whose last sync failed gets another (a stale replica makes a poor failover).
    if (roster.deputies().some((d) => d.id !== this.self.id && compareEpoch(this.deputySynced.get(d.id) ?? { term: 0, seq: 0 }, roster.epoch) !== 0)) {
      this.syncDeputies()
    }
    if (this.joinQueue.size > 0) this.scheduleJoinRound()
    if (this.pendingDead.size > 0) this.runRepairs()
    // Small trees look for company every beat; large ones at the configured pace.
    const probeEvery = roster.size < 32 ? this.config.heartbeatMs : this.config.mergeProbeMs
    if (now - this.lastMergeProbeAt >= probeEvery) {
      this.lastMergeProbeAt = now
      this.mergeProbe()
    }
  }

  private leaveRootDuties(): void {
    this.joinTimer?.cancel()
    this.joinTimer = undefined
    this.joinQueueMap = undefined
    this.pendingDeadSet = undefined
    this.repairing = false
    this.sweeping = false
    this.aliveAtMap = undefined
  }

  private enqueueJoiner(member: Member): void {
    this.joinQueue.set(member.id, member)
    this.scheduleJoinRound()
  }

  private scheduleJoinRound(): void {
    if (this.joinTimer) return
    this.joinTimer = this.deps.clock.after(this.config.joinTickMs, () => {
      this.joinTimer = undefined
      if (this.state !== 'root') return
      this.guard(() => this.joinRounds())
      if (this.joinQueue.size > 0) this.scheduleJoinRound()
    })
  }

  /** Admit queued joiners: each round fills the free slots of one parent. */
  private joinRounds(): void {
    const roster = this.roster!
    if (this.repairing || this.pendingDead.size > 0) return // the last position is about to move: wait
    const m = this.config.maxChildren
    const ops: RosterOp[] = []
    const affected = new Set<number>()
    const rejoined: number[] = []
    let size = roster.size
    for (let round = 0; round < this.config.roundsPerTick && this.joinQueue.size > 0; round++) {
      const parent = parentOf(size + 1, m)
      const slots = parent * m + 1 - size // positions size+1 … parent·m+1 are free under `parent`
      let taken = 0
      for (const [id, member] of this.joinQueue) {
        if (taken >= slots) break
        this.joinQueue.delete(id)
        const existing = roster.positionOf(id)
        if (existing !== undefined) {
          // A known node restarted or lost its assignment: it keeps its position.
          if (roster.at(existing)!.endpoint !== member.endpoint) ops.push({ op: 'set', position: existing, member })
          rejoined.push(existing)
          continue
        }
        size++
        ops.push({ op: 'set', position: size, member })
        affected.add(size)
        taken++
      }
      if (taken > 0) {
        affected.add(parent)
        this.events.joinRounds++
      }
    }
    if (ops.length > 0 || rejoined.length > 0) this.commit(ops, [...affected, ...rejoined])
  }

  /** Apply roster operations, bump the epoch, tell every affected node and the deputies. */
  private commit(ops: RosterOp[], affectedPositions: number[]): void {
    const roster = this.roster!
    for (const op of ops) roster.apply(op)
    roster.epoch = { term: roster.epoch.term, seq: roster.epoch.seq + 1 }
    this.opLog.push({ epoch: { ...roster.epoch }, ops })
    if (this.opLog.length > OP_LOG_LIMIT) this.opLog.shift()
    this.info = this.infoFromRoster()
    const positions = new Set(affectedPositions.filter((p) => p >= 1 && p <= roster.size))
    for (const position of positions) {
      const member = roster.at(position)!
      if (member.id === this.self.id) this.adoptOwnView(roster.viewFor(position))
      else this.sendAssign(member, position, 0)
      this.flushNode(member)
    }
    this.syncDeputies()
  }

  /** Assignments must arrive: resend (the current view) a few times while the position is still that member's. */
  private sendAssign(member: Member, position: number, attempt: number): void {
    const roster = this.roster!
    this.send(member, message(KIND.assign, roster.viewFor(position)), (error) => {
      if (!error || attempt >= 4) return
      this.after(this.config.joinTickMs * 2 ** attempt, () => {
        if (this.state === 'root' && this.roster === roster && roster.at(position)?.id === member.id) this.sendAssign(member, position, attempt + 1)
      })
    })
  }

  /** The root's own view changes with its children. */
  private adoptOwnView(view: View): void {
    const previous = new Set(this.neighbours().map((n) => n.id))
    this.view = view
    this.prepareLinks(previous)
    const now = this.now()
    for (const child of view.children) {
      this.liveness.watch(child.id, now)
      this.contacts.add(child, this.self.id)
      if (!previous.has(child.id)) this.resendRecent(child)
      this.flushPosition(child)
    }
    this.liveness.retain(new Set(view.children.map((c) => c.id)))
  }

  private syncDeputies(): void {
    const roster = this.roster!
    for (const deputy of roster.deputies()) {
      if (deputy.id === this.self.id) continue
      const synced = this.deputySynced.get(deputy.id)
      let body: Record<string, unknown>
      const start = synced ? this.opLog.findIndex((e) => compareEpoch(e.epoch, synced) > 0) : -1
      const contiguous = synced && start > 0 && compareEpoch(this.opLog[start - 1]!.epoch, synced) === 0
      if (synced && contiguous) {
        body = { treeId: roster.treeId, epoch: roster.epoch, base: synced, ops: this.opLog.slice(start).flatMap((e) => e.ops), maxChildren: roster.maxChildren }
      } else {
        body = { treeId: roster.treeId, epoch: roster.epoch, snapshot: roster.snapshot(), maxChildren: roster.maxChildren }
      }
      const epoch = { ...roster.epoch }
      this.request(deputy, message(KIND.sync, body), (error, reply) => {
        if (error || !reply) return this.deputySynced.delete(deputy.id)
        if (this.decode.syncReply(reply).ok) this.deputySynced.set(deputy.id, epoch)
        else this.deputySynced.delete(deputy.id) // next commit sends a snapshot
      })
    }
  }

  private onSync(m: Incoming, r: Responder | undefined, from: string): void {
    const s = this.decode.sync(m)
    const view = this.view
    const knownRoot = this.info?.root.id ?? view?.root.id
    const newerTerm = !!this.info && s.epoch.term > this.info.epoch.term
    // The first sync of a new deputy can overtake its assignment: a joiner takes a snapshot that the
    // root itself sends and that places the joiner among the deputies (its assignment follows).
    const deputyToBe =
      !view && this.state === 'joining' && !!s.snapshot && s.snapshot[0]?.id === from && s.snapshot.slice(1, 1 + this.config.deputies).some((m) => m.id === this.self.id)
    if (deputyToBe) {
      this.roster = Roster.fromSnapshot(s.treeId, s.epoch, s.maxChildren, this.config.deputies, s.snapshot!, this.canon)
      return r?.reply(SYNC_OK)
    }
    if (!view || view.treeId !== s.treeId || (from !== knownRoot && !newerTerm)) {
      return r?.reply(SYNC_NOT_OK)
    }
    if (s.snapshot) {
      this.roster = Roster.fromSnapshot(s.treeId, s.epoch, s.maxChildren, this.config.deputies, s.snapshot, this.canon)
      return r?.reply(SYNC_OK)
    }
    const replica = this.roster
    if (!replica || !s.base || compareEpoch(replica.epoch, s.base) !== 0 || !s.ops) return r?.reply(SYNC_NOT_OK)
    for (const op of s.ops) replica.apply(op)
    replica.epoch = s.epoch
    r?.reply(SYNC_OK)
  }

  private onSuspect(m: Incoming): void {
    const s = this.decode.suspect(m)
    if (this.state !== 'root' || !this.roster || s.treeId !== this.roster.treeId) return
    this.handleSuspect(s.position, s.id)
  }

  private handleSuspect(position: number, id: string): void {
    const roster = this.roster!
    if (roster.at(position)?.id !== id || this.pendingDead.has(position) || id === this.self.id) return
    const member = roster.at(position)!
    this.request(member, PROBE, (error, reply) => {
      if (this.state !== 'root' || this.roster !== roster || roster.at(position)?.id !== id) return
      if (!error && reply) {
        const probe = this.decode.probeReply(reply)
        if (probe.treeId === roster.treeId && probe.epoch && probe.root && probe.epoch.term > roster.epoch.term) {
          // The tree moved on without us (we were taken for dead): step down.
          return this.stepDown(probe.root)
        }
        if (probe.treeId === roster.treeId && probe.position === position) return // alive and in place: false alarm
      }
      this.pendingDead.add(position)
      if (this.pendingDead.size > Math.max(3, roster.size / 50)) this.sweep()
      this.runRepairs()
    })
  }

  /**
   * Fill holes. With D dead positions the tree shrinks to S' = S - |D|; the
   * live nodes beyond S' (the last ones) move into the dead positions at or
   * below S', lowest hole first. The movers are probed first, all at once; a
   * mover that does not answer is dead too and the plan is recomputed. One
   * commit applies the whole batch, so many failures cost one round of probes.
   */
  private runRepairs(): void {
    const roster = this.roster
    if (!roster || this.repairing || this.state !== 'root') return
    for (const p of this.pendingDead) if (p > roster.size || p === 1) this.pendingDead.delete(p)
    if (this.pendingDead.size === 0) {
      if (this.joinQueue.size > 0) this.scheduleJoinRound()
      return
    }
    const plan = this.repairPlan(roster)
    const unverified = plan.movers.filter((p) => !this.recentlyAlive(roster.at(p)!.id))
    if (unverified.length === 0) return this.applyRepairPlan(plan)
    this.repairing = true
    let pending = unverified.length
    for (const position of unverified) {
      const member = roster.at(position)!
      this.request(member, PROBE, (error, reply) => {
        if (this.roster !== roster || roster.at(position)?.id !== member.id) return this.repairDone(--pending)
        const answered = !error && reply && this.decode.probeReply(reply).treeId === roster.treeId
        if (answered) this.aliveAt.set(member.id, this.now())
        else this.pendingDead.add(position)
        this.repairDone(--pending)
      })
    }
  }

  private repairDone(pending: number): void {
    if (pending > 0) return
    this.repairing = false
    if (this.state === 'root') this.runRepairs()
  }

  private aliveAtMap?: Map<string, number>
  private get aliveAt(): Map<string, number> {
    return (this.aliveAtMap ??= new Map())
  }

  private recentlyAlive(id: string): boolean {
    return this.now() - (this.aliveAt.get(id) ?? -Infinity) < this.config.requestTimeoutMs
  }

  private repairPlan(roster: Roster): { newSize: number; holes: number[]; movers: number[] } {
    const newSize = roster.size - this.pendingDead.size
    const holes = [...this.pendingDead].filter((p) => p <= newSize).sort((a, b) => a - b)
    const movers: number[] = []
    for (let p = newSize + 1; p <= roster.size; p++) if (!this.pendingDead.has(p)) movers.push(p)
    return { newSize, holes, movers }
  }

  private applyRepairPlan(plan: { newSize: number; holes: number[]; movers: number[] }): void {
    const roster = this.roster!
    const m = this.config.maxChildren
    const moving = plan.movers.map((p) => roster.at(p)!)
    const oldSize = roster.size
    const ops: RosterOp[] = [{ op: 'truncate', size: plan.newSize }]
    const affected = new Set<number>()
    plan.holes.forEach((hole, i) => {
      ops.push({ op: 'set', position: hole, member: moving[i]! })
      affected.add(hole)
      for (const c of childrenOf(hole, m, plan.newSize)) affected.add(c)
      if (hole > 1) affected.add(parentOf(hole, m))
    })
    // Parents that lost children at the end of the tree.
    for (let p = plan.newSize + 1; p <= oldSize; p++) affected.add(parentOf(p, m))
    this.events.repairs += this.pendingDead.size
    this.pendingDead.clear()
    this.commit(ops, [...affected])
    // Messages held for a dead position now belong to its new occupant.
    plan.holes.forEach((hole, i) => this.flushPosition({ ...moving[i]!, position: hole }))
    if (this.joinQueue.size > 0) this.scheduleJoinRound()
  }

  /**
   * Many positions failing at once (a partition, a failover) is cheaper to
   * settle by asking everyone at once than by waiting for each parent to notice.
   */
  private sweep(): void {
    const roster = this.roster
    if (!roster || this.sweeping) return
    this.sweeping = true
    let pending = roster.size - 1
    const done = () => {
      if (--pending > 0) return
      this.sweeping = false
      if (this.state === 'root') this.runRepairs()
    }
    if (pending === 0) return done()
    for (let position = 2; position <= roster.size; position++) {
      const member = roster.at(position)!
      this.request(member, PROBE, (error, reply) => {
        if (this.roster === roster && roster.at(position)?.id === member.id) {
          const probe = !error && reply ? this.decode.probeReply(reply) : undefined
          if (probe && probe.treeId === roster.treeId) this.aliveAt.set(member.id, this.now())
          else this.pendingDead.add(position)
        }
        done()
      })
    }
  }

  private sweeping = false

  private onLeave(m: Incoming, r: Responder | undefined, from: string): void {
    const request = this.decode.leave(m)
    if (request.member.id !== from) throw new BorgError('refused', 'a node can only leave for itself')
    const roster = this.roster
    if (this.state !== 'root' || !roster || request.treeId !== roster.treeId) return r?.fail('unavailable', 'not the root of that tree')
    const position = roster.positionOf(request.member.id)
    if (position !== undefined) {
      this.pendingDead.add(position)
      this.runRepairs()
    }
    r?.reply(LEAVE_OK)
  }

  private rootLeave(done?: (error: BorgError | null) => void): void {
    const roster = this.roster!
    if (roster.size === 1) {
      this.stop()
      return done?.(null)
    }
    // Hand the roster to the last node, which fills position 1 (as in a failover, without the wait).
    const last = roster.at(roster.size)!
    const snapshot = roster.snapshot()
    snapshot.pop()
    snapshot[0] = last
    const epoch = { term: roster.epoch.term + 1, seq: 0 }
    this.send(last, message(KIND.promote, { treeId: roster.treeId, epoch, snapshot }), (error) => {
      this.stop()
      done?.(error)
    })
  }

  // ----------------------------------------------------------------- failover

  /** A deputy whose parent (the root) went silent: the lowest live deputy replaces the root. */
  private considerFailover(view: View): void {
    if (this.failoverInFlight || !this.roster) return
    this.failoverInFlight = true
    const lower = (this.info?.deputies ?? view.deputies).filter((d) => d.position < view.position && d.id !== this.self.id)
    this.anyAlive(lower, (alive) => {
      if (alive || this.view !== view || this.state !== 'member') {
        this.failoverInFlight = false
        return
      }
      this.promoteLast(view, 0)
    })
  }

  private promoteLast(view: View, attempt: number): void {
    const replica = this.roster
    if (!replica || attempt > 16 || replica.size < 2) {
      this.failoverInFlight = false
      return
    }
    const size = replica.size
    const last = replica.at(size)!
    const promote = () => {
      const snapshot = replica.snapshot()
      snapshot.pop()
      snapshot[0] = last
      const epoch = { term: Math.max(replica.epoch.term, this.info?.epoch.term ?? 0) + 1, seq: 0 }
      this.events.failovers++
      this.log.info(`root of tree ${replica.treeId.slice(0, 8)} is gone: promoting the last node (position ${size}) to root, term ${epoch.term}`)
      const body = { treeId: replica.treeId, epoch, snapshot }
      if (last.id === this.self.id) this.onPromoteBody(body)
      else this.send(last, message(KIND.promote, body))
      this.after(this.config.requestTimeoutMs * 2, () => (this.failoverInFlight = false))
    }
    if (last.id === this.self.id) return promote()
    this.request(last, PROBE, (error) => {
      if (this.view !== view) {
        this.failoverInFlight = false
        return
      }
      if (!error) return promote()
      replica.apply({ op: 'truncate', size: size - 1 }) // the last node is gone too
      this.promoteLast(view, attempt + 1)
    })
  }

  private onPromote(m: Incoming): void {
    const body = this.decode.promote(m)
    const known = this.info ?? this.view
    if (known && known.treeId === body.treeId && compareEpoch(body.epoch, known.epoch) <= 0) return // stale promote
    this.onPromoteBody(body)
  }

  private onPromoteBody(body: { treeId: string; epoch: Epoch; snapshot: Member[] }): void {
    if (body.snapshot[0]?.id !== this.self.id) return
    const oldPosition = this.view?.position
    this.leaveRootDuties()
    this.roster = Roster.fromSnapshot(body.treeId, body.epoch, this.config.maxChildren, this.config.deputies, body.snapshot, this.canon)
    this.becomeRoot()
    // Everyone whose links changed: the new root's children, and the parent of the position it left.
    const m = this.config.maxChildren
    const affected = childrenOf(1, m, this.roster.size)
    if (oldPosition && oldPosition > 1) affected.push(parentOf(oldPosition, m))
    this.commit([], affected)
    // The old root may not have been the only casualty: find out who else is gone, at once.
    this.sweep()
  }

  // -------------------------------------------------------------------- merge

  private mergeProbe(): void {
    const roster = this.roster!
    // Any contact will do: our own members answer with our root (nothing to do),
    // others reveal another tree, or a newer root of ours after a failover we missed.
    const outsiders = this.contacts.random(this.deps.random, 2, (c) => roster.positionOf(c.id) !== undefined)
    const pool: { endpoint: string; id?: string }[] =
      outsiders.length > 0 && this.deps.random.float() < 0.5
        ? outsiders
        : [...this.contacts.random(this.deps.random, 2), ...this.seeds.map((endpoint) => ({ endpoint }))]
    const target = pool.length > 0 ? pool[this.deps.random.int(pool.length)] : undefined
    if (!target || target.endpoint === this.self.endpoint) return
    this.deps.transport.send(target, WHOIS, {
      expectReply: true,
      timeoutMs: this.config.requestTimeoutMs,
      onResult: (error, reply) =>
        this.guard(() => {
          if (error || !reply) {
            if (target.id) this.contacts.remove(target.id) // unreachable: make room for live ones
            return
          }
          if (this.state !== 'root' || this.roster !== roster) return
          const other = this.decode.whoisReply(reply)
          for (const c of other.contacts ?? []) this.contacts.add(c, this.self.id) // contacts spread with every probe
          if (!other.root || !other.size || !other.treeId) return
          this.contacts.add(other.root, this.self.id)
          if (other.root.id !== this.self.id) this.hearOfTree(other.treeId, other.root, other.size)
          if (other.best && other.best.root.id !== this.self.id) this.hearOfTree(other.best.treeId, other.best.root, other.best.size, other.best.age)
          // The largest tree rumoured beats the one this probe happened to hit.
          const best = this.bestRoot(this.now())
          if (best && best.root.id !== other.root.id && best.treeId !== roster.treeId && best.size > other.size) {
            return this.request(best.root, WHOIS, (e, r) => {
              if (e || !r) return this.forgetTree(best.root.id) // unreachable: the rumour is dead
              if (this.state !== 'root' || this.roster !== roster) return
              const w = this.decode.whoisReply(r)
              if (w.state === 'root' && w.root && w.size && w.treeId) this.compareTrees(w.treeId, w.epoch, w.root, w.size)
            })
          }
          if (other.state === 'root' || other.root.id === this.self.id) return this.compareTrees(other.treeId, other.epoch, other.root, other.size)
          // A member's idea of its tree may lag: ask its root itself before deciding anything.
          if (other.treeId === roster.treeId && (other.epoch?.term ?? 0) <= roster.epoch.term) return
          this.request(other.root, WHOIS, (error2, reply2) => {
            if (error2 || !reply2 || this.state !== 'root' || this.roster !== roster) return
            const root = this.decode.whoisReply(reply2)
            if (root.state === 'root' && root.root && root.size && root.treeId) this.compareTrees(root.treeId, root.epoch, root.root, root.size)
          })
        }),
    })
  }

  private onMergeHint(m: Incoming, from: string): void {
    const hint = this.decode.merge(m)
    if (this.state !== 'root' || !this.roster || hint.root.id !== from) return
    this.contacts.add(hint.root, this.self.id)
    this.compareTrees(hint.treeId, hint.epoch, hint.root, hint.size)
  }

  /**
   * Two roots met. Of one tree: the higher term is the real root and the other
   * steps down. Of two trees: the smaller dissolves into the larger; equal
   * sizes are broken by the lower root id, so two halves always merge.
   */
  private compareTrees(treeId: string, epoch: Epoch | undefined, root: Member, size: number): void {
    const roster = this.roster!
    if (root.id === this.self.id) return
    const mine = roster.size
    const hint = () => this.send(root, message(KIND.merge, { treeId: roster.treeId, epoch: roster.epoch, root: this.self, size: mine }))
    if (treeId === roster.treeId && epoch && epoch.term !== roster.epoch.term) {
      if (epoch.term > roster.epoch.term) return this.stepDown(root)
      return hint()
    }
    const otherWins = size > mine || (size === mine && root.id < this.self.id)
    if (!otherWins) return hint()
    this.events.merges++
    this.log.info(`tree ${roster.treeId.slice(0, 8)} (size ${mine}) dissolves into tree ${treeId.slice(0, 8)} (size ${size}) of root ${root.id.slice(0, 12)}`)
    this.broadcastInternal(DISSOLVE_KIND, { root })
  }

  /** A stale root (the tree failed over without it) rejoins under the real one. */
  private stepDown(root: Member): void {
    this.log.info(`tree ${this.roster?.treeId.slice(0, 8)} has a newer root ${root.id.slice(0, 12)}: stepping down and rejoining`)
    this.events.merges++
    this.resetToJoin(root)
  }

  private broadcastInternal(kind: string, value: unknown): void {
    this.broadcast(kind, new TextEncoder().encode(JSON.stringify(value)), BodyType.json)
  }

  // ---------------------------------------------------------------- broadcast

  private handleBroadcast(b: Broadcast, fromId: string | undefined): void {
    // Broadcasts belong to one tree: a straggler from a tree this node has left stops here.
    if (fromId !== undefined && b.treeId !== this.view?.treeId) return
    const now = this.now()
    if (!this.broadcasts.firstSight(b, now)) return
    if (b.kind !== DISSOLVE_KIND) {
      this.broadcasts.stats.delivered++
      this.deliver({ kind: b.kind, body: Buffer.from(b.body, 'base64'), bodyType: b.bodyType, origin: b.origin, via: 'broadcast', bid: b.bid, hops: b.hops })
    }
    for (const n of this.placedNeighbours()) if (n.id !== fromId) this.forwardBroadcast(n, b, true)
    if (b.kind === DISSOLVE_KIND) this.onDissolve(b)
  }

  private forwardBroadcast(to: Placed, b: Broadcast, fallback: boolean): void {
    this.broadcasts.stats.forwarded++
    const msg = message(KIND.bcast, { ...b, hops: b.hops + 1 })
    this.send(to, msg, (error) => {
      if (!error || !fallback) return
      this.queue(positionDestination(to.position), msg)
      // Route around a dead child until it is replaced.
      const grandchildren = this.grandchildrenMap?.get(to.id) ?? []
      for (const gc of grandchildren) {
        this.broadcasts.stats.routedAround++
        this.forwardBroadcast(gc, b, false)
      }
    })
  }

  private resendRecent(to: Placed): void {
    for (const b of this.broadcasts.recentSince(this.now(), this.config.broadcastMemoryMs)) {
      if (b.treeId !== this.view?.treeId) continue
      this.broadcasts.stats.resent++
      const msg = message(KIND.bcast, { ...b, hops: b.hops + 1 })
      this.send(to, msg, (error) => {
        if (error) this.queue(positionDestination(to.position), msg) // lost too: keep it for that position
      })
    }
  }

  private onDissolve(b: Broadcast): void {
    let root: Member
    try {
      root = JSON.parse(Buffer.from(b.body, 'base64').toString('utf8')).root as Member
    } catch {
      return
    }
    if (!root?.id || root.id === this.self.id) return
    this.events.dissolved++
    // Give the forwards a moment to leave, and spread the rejoin storm a little.
    this.after(this.deps.random.int(this.config.joinTickMs * 5) + 1, () => this.resetToJoin(root))
  }

  // -------------------------------------------------------------------- route

  private routeMessage(r: Route): void {
    const view = this.view
    const forMe = r.dst.node === this.self.id || (r.dst.node === undefined && view && r.dst.position === view.position)
    if (forMe) {
      this.routed.delivered++
      return this.deliver({ kind: r.kind, body: Buffer.from(r.body, 'base64'), bodyType: r.bodyType, origin: r.src.id, via: 'direct' })
    }
    if (r.hops >= MAX_ROUTE_HOPS) {
      this.routed.dropped++
      return this.log.warn(`dropping a routed ${r.kind} after ${r.hops} hops (routing loop?)`, 'route-loop')
    }
    const next = (dst: Route['dst']) => message(KIND.route, { ...r, dst, treeId: dst.node === undefined ? r.treeId : undefined, hops: r.hops + 1 })
    if (!view || this.state === 'joining') return this.queue(r.dst.node ? nodeDestination(r.dst.node) : positionDestination(r.dst.position!), next(r.dst))
    if (r.treeId && r.treeId !== view.treeId && r.dst.node === undefined) {
      this.routed.dropped++
      return this.log.warn(`dropping a ${r.kind} routed to a position of tree ${r.treeId.slice(0, 8)}, which this node has left`, 'route-tree')
    }
    // A node id goes up to the root, which adds the node's position; below the root the message follows
    // that position. A position that turns out stale (it is this node's, and this is not the addressee)
    // is dropped and the message goes up again to be resolved afresh.
    let target: number
    let dst = r.dst
    if (dst.node === undefined) target = dst.position!
    else if (this.state === 'root' && this.roster) {
      const position = this.roster.positionOf(dst.node)
      if (position === undefined) return this.queue(nodeDestination(dst.node), next({ node: dst.node })) // flushed when it (re)joins
      target = position
      dst = { node: dst.node, position }
    } else if (dst.position !== undefined && dst.position !== view.position) target = dst.position
    else {
      target = 1
      dst = { node: dst.node }
    }
    const msg = next(dst)
    const hop = nextHop(view.position, target, this.config.maxChildren)
    const neighbour = this.placedNeighbours().find((n) => n.position === hop)
    if (!neighbour) return this.queue(positionDestination(hop), msg)
    this.routed.forwarded++
    this.send(neighbour, msg, (error) => {
      if (error) this.queue(positionDestination(hop), msg)
    })
  }

  // ------------------------------------------------------------------- outbox

  private queue(destination: string, msg: Outgoing): void {
    this.routed.queued += msg.kind === KIND.route ? 1 : 0
    this.outbox.enqueue(destination, { kind: msg.kind, body: msg.body!, bodyType: msg.bodyType ?? BodyType.json, queuedAt: this.deps.clock.now() })
  }

  /** A neighbour at `to.position` answered or was (re)assigned: hand it what waited for that position. */
  private flushPosition(to: Placed): void {
    if (this.outbox.depth === 0) return // the usual case, without building the key
    const destination = positionDestination(to.position)
    if (this.outbox.depthOf(destination) === 0) return
    for (const item of this.outbox.take(destination)) this.redeliver(item, to)
  }

  /** A node joined or came back: route what waited for it. */
  private flushNode(member: Member): void {
    if (this.outbox.depth === 0) return
    const destination = nodeDestination(member.id)
    if (this.outbox.depthOf(destination) === 0) return
    for (const item of this.outbox.take(destination)) this.redeliver(item, undefined)
  }

  /**
   * Routed messages held for a destination that no flush will ever serve are routed again: on taking a
   * place (joined, or became root) and on every tick. That is a node id at any node but the root (only
   * the root keeps those, until the node joins; a member sends them up to it, as does a node that held
   * them while it was joining or root), a node id the root's roster now has, and a position that is not
   * (or no longer) a neighbour's: the tree was repaired or shrank around it. Queues for the neighbours'
   * positions stay until the neighbour answers.
   */
  private rerouteHeld(): void {
    if (this.outbox.depth === 0 || this.state === 'joining' || this.state === 'stopped') return
    const neighbours = new Set(this.placedNeighbours().map((n) => positionDestination(n.position)))
    for (const destination of this.outbox.destinations()) {
      if (neighbours.has(destination)) continue
      if (this.state === 'root' && destination.startsWith(NODE_PREFIX) && this.roster?.positionOf(destination.slice(NODE_PREFIX.length)) === undefined) continue
      for (const item of this.outbox.take(destination)) {
        if (item.kind === KIND.route) this.redeliver(item, undefined)
        else this.outbox.enqueue(destination, item) // broadcast resends wait for their position
      }
    }
  }

  private redeliver(item: QueuedMessage, to: Placed | undefined): void {
    const incoming = { kind: item.kind, body: item.body, bodyType: item.bodyType } as Incoming
    if (item.kind === KIND.route) return this.routeMessage(this.decode.route(incoming))
    if (item.kind === KIND.bcast && to) {
      this.send(to, { kind: item.kind, body: item.body, bodyType: item.bodyType }, (error) => {
        if (error) this.queue(positionDestination(to.position), { kind: item.kind, body: item.body, bodyType: item.bodyType })
      })
    }
  }

  private deliver(delivery: Delivery): void {
    try {
      this.deliveryHandler(delivery)
    } catch (error) {
      this.log.error(`delivery handler for ${delivery.kind} failed: ${(error as Error).stack ?? error}`)
    }
  }
}
