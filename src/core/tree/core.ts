/**
 * What every role of a tree node shares: who it is, its config and
 * dependencies, its place in the tree (state, view, info, roster), its
 * contacts, outbox and broadcast memory, and the I/O helpers (send, request,
 * timers that die with the node, the guard that keeps protocol callbacks from
 * taking the process down). The roles (joiner.ts, heartbeat.ts, sequencer.ts,
 * repair.ts, failover.ts, merge.ts, root-finder.ts, flood.ts, routing.ts,
 * deputy-sync.ts) are functions over a TreeCore; the state changes between
 * roles (join, found, become root, adopt a view) are TreeNode's and reach the
 * roles through `transitions`, so no role imports the node.
 */
import { BorgError } from '../errors.js'
import { createLogger, type Logger } from '../log.js'
import type { Clock, Timer } from '../wire/clock.js'
import type { Incoming, Outgoing } from '../wire/message.js'
import type { Random } from '../wire/random.js'
import type { MessageHandler, Transport } from '../wire/transport.js'
import type { Notary } from '../wire/notary.js'
import type { SenderRule } from '../wire/sender-rule.js'
import { BroadcastMemory } from './broadcaster.js'
import type { DeputyCert, TermCert, TreeInfo } from './messages.js'
import { codecsFor, type TreeCodecs } from './codec.js'
import type { TreeConfig } from './config.js'
import { ContactBook } from './contacts.js'
import { JoinState } from './join-state.js'
import { Liveness } from './liveness.js'
import { plainMember, type Canon, type MemberTable } from './members.js'
import { Outbox, type OutboxPersistence } from './outbox.js'
import { parentOf } from './position.js'
import type { RootDuties, TermLog } from './root-duties.js'
import type { Roster } from './roster.js'
import type { PartsInTransit } from './snapshot-parts.js'
import type { Epoch, Member, NodeState, Placed, View } from './types.js'

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
  /** Signs what this node starts (broadcasts, routed messages, term certificates) and checks others' signatures. */
  notary: Notary
  /**
   * Members that should only ever be leaves (nodes reached through relays: every message to their
   * children would cross a relay). A root places a public joiner in such a member's position when
   * that member would get its first child, and moves the member to the new leaf. Unset: none.
   */
  leafOnly?: (member: Member) => boolean
}

/** A broadcast or routed message handed to the application (the cell's organs). */
export interface Delivery {
  kind: string
  body: Uint8Array
  bodyType: Incoming['bodyType']
  /** Node id of the originator. */
  origin: string
  via: 'broadcast' | 'direct'
  bid?: string
  /** Broadcasts: links the copy crossed from the origin (0 at the origin itself). */
  hops?: number
}

/** The state changes between roles (transitions.ts; one object shared by every node). */
export interface Transitions {
  /** Drop the current place (and root duties) and join the tree of `target` (or whatever can be found). */
  resetToJoin(t: TreeCore, target: Member | undefined): void
  /** Start a new tree with this node as its root. */
  foundTree(t: TreeCore): void
  /** Take on the roster's position 1 (after founding or a promotion). */
  becomeRoot(t: TreeCore): void
  /** Take on an assignment from the root (or a whereami answer). */
  adoptView(t: TreeCore, view: View, source: string): void
  /** Ask a few known nodes who their root is and join the largest tree heard of, or found one alone. */
  seekRootOrFound(t: TreeCore, why: string): void
  /** A stale root (its tree failed over without it) rejoins under the real one. */
  stepDown(t: TreeCore, root: Member): void
  /** Stop being root (the join round in flight is cancelled, the root's queues dropped). */
  leaveRootDuties(t: TreeCore): void
  stop(t: TreeCore): void
}

export interface RoutedCounts {
  delivered: number
  duplicates: number
  forwarded: number
  queued: number
  dropped: number
}
/** joinRounds: rounds (one parent's free slots) that admitted at least one joiner, while root. */
export interface TreeEvents {
  joins: number
  repairs: number
  failovers: number
  orphaned: number
  merges: number
  dissolved: number
  joinRounds: number
}
const NO_ROUTED: Readonly<RoutedCounts> = Object.freeze({ delivered: 0, duplicates: 0, forwarded: 0, queued: 0, dropped: 0 })
const NO_EVENTS: Readonly<TreeEvents> = Object.freeze({ joins: 0, repairs: 0, failovers: 0, orphaned: 0, merges: 0, dissolved: 0, joinRounds: 0 })

/** The largest tree heard of lately (spread by whois answers). */
export interface Rumour {
  treeId: string
  root: Member
  size: number
  at: number
}

export class TreeCore {
  state: NodeState = 'stopped'
  view?: View
  info?: TreeInfo
  /** The authoritative roster (root) or a replica (deputy). */
  roster?: Roster
  /** Present while this node is root: its join queue and repair state, dropped when it stops being root. */
  root?: RootDuties
  /** The roster changes of this node's current term as root and the deputies' acknowledgements (root-duties.ts). */
  termLog?: TermLog
  lastMergeProbeAt = 0
  readonly contacts: ContactBook
  readonly outbox: Outbox
  readonly broadcasts: BroadcastMemory
  readonly liveness: Liveness
  readonly codecs: TreeCodecs
  readonly canon: Canon
  readonly log: Logger
  readonly config: TreeConfig
  /** This node; its endpoint changes only through TreeNode.moveTo (it leaves and joins again first). */
  self: Member
  readonly random: Random
  deliveryHandler: (delivery: Delivery) => void = () => {}
  private timers?: Timer[]
  tickTimer?: Timer

  /** The endpoints this node was started with: never forgotten, the last resort for finding the network. */
  seeds: string[] = []
  /** Joining: where to ask, what was answered (kept across attempts; see join-state.ts). */
  readonly join = new JoinState()

  // member (heartbeat.ts, root-finder.ts, failover.ts)
  // Maps below are allocated on first use: most nodes are leaves and never need
  // them, and an empty Map costs ~170 B (a simulated million nodes would spend
  // gigabytes on nothing).
  suspectSentAtMap?: Map<string, number>
  get suspectSentAt(): Map<string, number> {
    return (this.suspectSentAtMap ??= new Map())
  }
  hbCache?: { view: View; known: Epoch | undefined; message: Outgoing | undefined }
  /** The view whose last heartbeat the parent answered `childOk` (heartbeat.ts quietLeaf). */
  quietView?: View
  /** The plain "yes, my child" answer to heartbeats at this placement epoch (heartbeat.ts): the same bytes for every child. */
  hbReplyCache?: { epoch: Epoch; message: Outgoing | undefined }
  /**
   * Term certificates of the last few terms (codec.ts TermCert): a root's own, sent with its
   * assignments; a deputy's copy of its root's, extended when it promotes a new root.
   */
  chain?: TermCert[]
  /** A deputy's certificate from its root (it may promote a new root with it). */
  deputyCert?: DeputyCert
  /** Ids of routed messages delivered here lately (each is delivered once). */
  deliveredRoutes?: Set<string>
  /** Messages refused by their kind's sender rule (sender-rules.ts), per kind. */
  refusedMap?: Map<string, number>
  orphanCheckInFlight = false
  failoverInFlight = false
  lastRefreshAt = -Infinity
  lastShuffleAt = 0
  /** A deputy snapshot arriving in parts (deputy-sync.ts), from the root only. */
  snapshotParts?: PartsInTransit
  /** A promotion arriving in parts (failover.ts), only with a chain that makes this node root. */
  promoteParts?: PartsInTransit
  /** The last 'queued' or 'later' (root: keyed by roster epoch) or 'redirect' (member: keyed by info or view) answer to a joiner. */
  joinAnswer?: { key: object; treeId: string; wait?: number; status?: string; message: Outgoing }
  /** The largest tree heard of lately (whois rumours), so small trees left by a split dissolve straight into it. */
  best?: Rumour

  // Counters, allocated on the first count: most nodes never route a message or see a tree event
  // (~150 B per node otherwise, at a million simulated nodes). Read them through routedSoFar/eventsSoFar.
  private routedCounts?: RoutedCounts
  private eventCounts?: TreeEvents
  /** Routed-message counters, for counting (allocates them). */
  get routed(): RoutedCounts {
    return (this.routedCounts ??= { delivered: 0, duplicates: 0, forwarded: 0, queued: 0, dropped: 0 })
  }
  /** Tree event counters, for counting (allocates them). */
  get events(): TreeEvents {
    return (this.eventCounts ??= { joins: 0, repairs: 0, failovers: 0, orphaned: 0, merges: 0, dissolved: 0, joinRounds: 0 })
  }
  get routedSoFar(): Readonly<RoutedCounts> {
    return this.routedCounts ?? NO_ROUTED
  }
  get eventsSoFar(): Readonly<TreeEvents> {
    return this.eventCounts ?? NO_EVENTS
  }

  constructor(
    readonly deps: TreeNodeDeps,
    readonly transitions: Transitions,
  ) {
    this.config = deps.config
    this.random = deps.random
    this.codecs = codecsFor(deps.members)
    this.canon = deps.members?.member ?? plainMember
    this.self = this.canon(deps.self.id, deps.self.endpoint)
    this.log = deps.log ?? createLogger(`tree${deps.cell ? `:${deps.cell}` : ''}`)
    this.contacts = new ContactBook(deps.config.maxContacts, this.canon)
    this.broadcasts = new BroadcastMemory(deps.config.broadcastMemoryMs, deps.config.recentBroadcasts)
    this.liveness = new Liveness(deps.config.heartbeatMs, deps.config.minFailTimeoutMs, deps.config.maxFailTimeoutMs)
    this.outbox = new Outbox(deps.config.outboxPerDestination, deps.config.outboxTotal, deps.outboxPersistence, this.log)
  }

  // --------------------------------------------------------------------- I/O

  send(to: Member, msg: Outgoing, onResult?: (error: BorgError | null, reply?: Incoming) => void, expectReply = false): void {
    // A Member is a Peer (endpoint, id); the transport only reads it.
    this.deps.transport.send(to, msg, { expectReply, timeoutMs: this.config.requestTimeoutMs, onResult: onResult && this.guarded(onResult) })
  }

  /** onResult wrapped like guard(), in one closure per request. */
  guarded(onResult: (error: BorgError | null, reply?: Incoming) => void): (error: BorgError | null, reply?: Incoming) => void {
    return (error, reply) => {
      try {
        onResult(error, reply)
      } catch (e) {
        this.report(e)
      }
    }
  }

  request(to: Member, msg: Outgoing, onResult: (error: BorgError | null, reply?: Incoming) => void): void {
    this.send(to, msg, onResult, true)
  }

  /** A timer that dies with the node (stop() cancels it; it never fires on a stopped node). */
  after(ms: number, fn: () => void): void {
    const timer = this.deps.clock.after(ms, () => {
      const i = this.timers?.indexOf(timer) ?? -1
      if (i >= 0) this.timers!.splice(i, 1)
      if (this.state !== 'stopped') this.guard(fn)
    })
    ;(this.timers ??= []).push(timer)
  }

  cancelTimers(): void {
    for (const t of this.timers ?? []) t.cancel()
    this.timers = undefined
  }

  /** Protocol callbacks must never take the process down: log and carry on. */
  guard(fn: () => void): void {
    try {
      fn()
    } catch (error) {
      this.report(error)
    }
  }

  report(error: unknown): void {
    if (error instanceof BorgError) this.log.warn(`${error.code}: ${error.message}`, `guard:${error.code}`)
    else this.log.error(`tree protocol error: ${(error as Error).stack ?? error}`)
  }

  now(): number {
    return this.deps.clock.monotonic()
  }

  // -------------------------------------------------------------- the view

  neighbours(): Member[] {
    const v = this.view
    if (!v) return []
    return v.parent ? [v.parent, ...v.children] : [...v.children]
  }

  placedNeighbours(): Placed[] {
    const v = this.view
    if (!v) return []
    const out: Placed[] = [...v.children]
    if (v.parent) out.push({ ...v.parent, position: parentOf(v.position, this.config.maxChildren) })
    return out
  }

  isDeputy(): boolean {
    const v = this.view
    return !!v && v.position >= 2 && v.position <= 1 + this.config.deputies
  }

  /** New links: the transport may learn their pins and open connections before the first heartbeat needs them. */
  prepareLinks(previous: Set<string>): void {
    const transport = this.deps.transport
    if (!transport.prepare) return
    for (const n of this.neighbours()) if (!previous.has(n.id)) transport.prepare(n)
  }

  infoFromRoster(): TreeInfo {
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

  deliver(delivery: Delivery): void {
    try {
      this.deliveryHandler(delivery)
    } catch (error) {
      this.log.error(`delivery handler for ${delivery.kind} failed: ${(error as Error).stack ?? error}`)
    }
  }
}
