/**
 * One node's membership in one tree (one cell type). Sans-I/O: it sees only
 * Transport, Clock and Random, so the same code runs over HTTPS and in the
 * simulator.
 *
 * The root is the single sequencer of its tree: it holds the roster (position
 * → member) and every change to positions is its decision, stamped with an
 * epoch (term, seq). Deputies (positions 2 … 1+D) hold replicas so the root can
 * be replaced; the last node fills any hole, the root's included.
 *
 * This file is the public API, the message dispatch, the periodic tick and the
 * transitions between roles. What each role does lives in its own module over
 * the shared TreeCore (core.ts): joiner, heartbeat, root-finder, sequencer,
 * deputy-sync, repair, failover, merge, flood (broadcast), routing, shuffle.
 */
import { BorgError } from '../errors.js'
import { BodyType, type Incoming } from '../wire/message.js'
import type { Responder } from '../wire/transport.js'
import type { SenderRule } from '../wire/sender-rule.js'
import { KIND, type TreeInfo } from './messages.js'
import { TREE_CODECS } from './codec.js'
import { TreeCore, type Delivery, type RoutedCounts, type TreeEvents, type TreeNodeDeps } from './core.js'
import { onSync } from './deputy-sync.js'
import { TRANSITIONS } from './transitions.js'
import { onPromote, rootLeave } from './failover.js'
import { handleBroadcast, originate } from './flood.js'
import { heartbeatParent, onHeartbeat, quietLeaf, reportSuspect } from './heartbeat.js'
import { joinTick, onJoin, releaseParked } from './joiner.js'
import { mergeProbe, onMergeHint } from './merge.js'
import { onLeave, onSuspect, runRepairs } from './repair.js'
import { onWhereami, whois } from './root-finder.js'
import { Roster } from './roster.js'
import { originateRoute, rerouteHeld, routeMessage } from './routing.js'
import { TREE_SENDERS, refuseAssign, refuseBroadcast, refuseMerge, refusePromote, refuseRoute, refuseSuspect, refuseSync } from './sender-rules.js'
import { deputiesBehind, scheduleJoinRound, syncDeputies } from './sequencer.js'
import { onShuffle, shuffle } from './shuffle.js'
import type { Epoch, Member, NodeState, Placed, View } from './types.js'
import type { BroadcastMemory } from './broadcaster.js'

export type { Delivery, TreeNodeDeps, TreeRouter } from './core.js'

/**
 * The body a sender rule decoded, for the handler that runs right after it (the router calls both
 * synchronously for one message; dispatch forgets it afterwards). One slot for every node.
 */
let decodedMessage: Incoming | undefined
let decodedValue: unknown
function decodedOnce<T>(m: Incoming, decode: (m: Incoming) => T): T {
  if (decodedMessage === m) return decodedValue as T
  const value = decode(m)
  decodedMessage = m
  decodedValue = value
  return value
}
function forgetDecoded(): void {
  decodedMessage = undefined
  decodedValue = undefined
}

/**
 * What code outside the tree (a cell's organs, member-list answers) may see of a node's place in
 * its tree: read-only standing, no way to send tree messages or change roles.
 */
export type TreeStanding = Pick<TreeNode, 'state' | 'view' | 'info' | 'roster'>

/** One rule object for every tree kind (docs/protocol.md §6.4 names each kind's rule). */
class TreeSenderRule implements SenderRule {
  readonly name = 'tree roles'
  constructor(private readonly node: TreeNode) {}
  nameFor(kind: string): string {
    return TREE_SENDERS[kind as keyof typeof TREE_SENDERS] ?? this.name
  }
  refuse(m: Incoming): string | undefined {
    return this.node.refuse(m)
  }
}

const HANDLED = [KIND.join, KIND.hb, KIND.probe, KIND.whereami, KIND.shuffle, KIND.whois, KIND.sync, KIND.leave, KIND.assign, KIND.suspect, KIND.promote, KIND.merge, KIND.bcast, KIND.route]

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
  private readonly t: TreeCore
  /** One callback for the node's life, not a closure per beat. */
  private readonly onTick: () => void

  constructor(deps: TreeNodeDeps) {
    this.t = new TreeCore(deps, TRANSITIONS)
    // One function and one rule for every kind: per-kind closures cost ~2 KB per node, which adds up in a simulated million.
    // Made in the same scope as onTick, so the two share one captured environment.
    const dispatcher = (m: Incoming, r: Responder | undefined) => this.dispatch(m, r)
    this.onTick = () => this.ticked()
    const rule = new TreeSenderRule(this)
    for (const kind of HANDLED) deps.router.on(kind, rule, dispatcher)
  }

  // ------------------------------------------------------------- read-only

  get state(): NodeState {
    return this.t.state
  }
  get view(): View | undefined {
    return this.t.view
  }
  get info(): TreeInfo | undefined {
    return this.t.info
  }
  /** The authoritative roster (root) or a replica (deputy). */
  get roster(): Roster | undefined {
    return this.t.roster
  }
  get contacts(): TreeCore['contacts'] {
    return this.t.contacts
  }
  get outbox(): TreeCore['outbox'] {
    return this.t.outbox
  }
  get broadcasts(): BroadcastMemory {
    return this.t.broadcasts
  }
  get routed(): Readonly<RoutedCounts> {
    return this.t.routedSoFar
  }
  get events(): Readonly<TreeEvents> {
    return this.t.eventsSoFar
  }

  // ---------------------------------------------------------------- lifecycle

  /** Join through any of these endpoints; with none reachable (or none given) found a tree alone. */
  start(bootstrap: string[] = [], known: Member[] = []): void {
    const t = this.t
    t.seeds = [...new Set(bootstrap.filter((e) => e !== t.self.endpoint))]
    for (const m of known) t.contacts.add(m, t.self.id)
    // The first shuffle at a random point of the first period: nodes started together (a restart of many,
    // a simulated storm) do not all shuffle in the same second, period after period.
    t.lastShuffleAt = t.now() - t.random.float() * t.config.shuffleMs
    this.scheduleTick()
    if (t.seeds.length === 0 && t.contacts.size === 0) TRANSITIONS.foundTree(t)
    else TRANSITIONS.resetToJoin(t, undefined)
  }

  stop(): void {
    TRANSITIONS.stop(this.t)
  }

  /** Hand this node's position over gracefully, then stop. */
  leave(done?: (error: BorgError | null) => void): void {
    const t = this.t
    const view = t.view
    if (!view || t.state === 'joining') {
      this.stop()
      return done?.(null)
    }
    if (t.state === 'root') return rootLeave(t, done)
    t.request(view.root, TREE_CODECS.leave.encode({ treeId: view.treeId, member: t.self, position: view.position }), (error) => {
      this.stop()
      done?.(error)
    })
  }

  /**
   * This node is now reached at another endpoint (behind a NAT it found relays, or its address
   * changed): hand its position over as it would leaving, then join again under the new endpoint
   * through the contacts and seeds it knows. Members only learn endpoints at joins, so this is
   * how a change reaches them.
   */
  moveTo(endpoint: string, done?: (error: BorgError | null) => void): void {
    const t = this.t
    if (endpoint === t.self.endpoint) return done?.(null)
    if (t.state === 'stopped') {
      t.self = t.canon(t.self.id, endpoint)
      t.join.joinMessage = undefined
      t.hbCache = undefined
      return done?.(null)
    }
    const seeds = t.seeds
    this.leave((error) => {
      t.self = t.canon(t.self.id, endpoint)
      // Messages cached with the old endpoint in them.
      t.join.joinMessage = undefined
      t.hbCache = undefined
      this.start(seeds)
      done?.(error)
    })
  }

  onDeliver(handler: (delivery: Delivery) => void): void {
    this.t.deliveryHandler = handler
  }

  // ------------------------------------------------------------------- status

  status(): TreeStatus {
    const t = this.t
    const view = t.view
    const info = t.info
    return {
      cell: t.deps.cell ?? 'tree',
      id: t.self.id,
      endpoint: t.self.endpoint,
      state: t.state,
      treeId: view?.treeId,
      position: view?.position,
      treeSize: t.roster && t.state === 'root' ? t.roster.size : info?.size,
      epoch: t.state === 'root' ? t.roster?.epoch : info?.epoch,
      placedAt: view?.epoch,
      root: info?.root ?? view?.root,
      parent: view?.parent,
      children: view?.children ?? [],
      lastNode: t.state === 'root' && t.roster ? t.roster.placed(t.roster.size) : info?.last,
      deputies: info?.deputies ?? view?.deputies ?? [],
      isDeputy: t.isDeputy(),
      queues: {
        join: t.root?.joinQueueSize ?? 0,
        repairs: t.root?.pendingDeadSize ?? 0,
        outbox: t.outbox.depth,
        outboxByDestination: t.outbox.byDestination(),
        outboxOverflowed: t.outbox.overflowed,
      },
      peersKnown: t.contacts.size,
      broadcasts: { ...t.broadcasts.stats },
      routed: { ...t.routedSoFar },
      events: { ...t.eventsSoFar },
    }
  }

  // ------------------------------------------------------------ messaging API

  /** Send a payload to every node of the tree (exactly once each). Returns the broadcast id. */
  broadcast(kind: string, body: Uint8Array, bodyType: BodyType = BodyType.binary): string {
    return originate(this.t, kind, body, bodyType)
  }

  /** Send a payload to one position or node, routed along the tree; queued while undeliverable. */
  sendTo(dst: { position?: number; node?: string }, kind: string, body: Uint8Array, bodyType: BodyType = BodyType.binary): void {
    originateRoute(this.t, dst, kind, body, bodyType)
  }

  // ------------------------------------------------------------------ dispatch

  /**
   * Who may send each kind (sender-rules.ts), checked by the router before the handler runs. Bodies the
   * check needs are decoded once: the handler that follows takes the same value.
   */
  /** @internal TreeSenderRule's check. */
  refuse(m: Incoming): string | undefined {
    const t = this.t
    if (t.state === 'stopped') return undefined // answered 'unavailable' by dispatch
    const kind = m.kind
    // Most messages (beats, peer sampling) anyone may send: no table lookup of the sender for them.
    if (kind === KIND.hb || kind === KIND.shuffle || kind === KIND.probe || kind === KIND.whois) return undefined
    const from = t.deps.members?.id(m.fromHex) ?? m.fromHex
    const c = t.codecs
    switch (kind) {
      case KIND.join:
        return decodedOnce(m, c.join.decode).member.id === from ? undefined : 'a node can only ask to join for itself'
      case KIND.whereami:
        return decodedOnce(m, c.whereami.decode).member.id === from ? undefined : 'whereami is only answered for the asking node'
      case KIND.leave:
        return decodedOnce(m, c.leave.decode).member.id === from ? undefined : 'a node can only leave for itself'
      case KIND.sync:
        return refuseSync(t, from, decodedOnce(m, c.sync.decode))
      case KIND.assign:
        return refuseAssign(t, from, decodedOnce(m, c.assign.decode))
      case KIND.suspect:
        return refuseSuspect(t, from, decodedOnce(m, c.suspect.decode))
      case KIND.promote:
        return refusePromote(t, from, decodedOnce(m, c.promote.decode))
      case KIND.merge:
        return refuseMerge(t, from, decodedOnce(m, c.merge.decode))
      case KIND.bcast: {
        const b = decodedOnce(m, c.bcast.decode)
        return b.treeId === t.view?.treeId ? refuseBroadcast(t, from, b) : undefined // a straggler of a tree left: dropped
      }
      case KIND.route:
        return refuseRoute(t, from, decodedOnce(m, c.route.decode))
      default:
        return undefined // hb, probe, whois, shuffle: anyone
    }
  }

  private dispatch(m: Incoming, r: Responder | undefined): void {
    const t = this.t
    if (t.state === 'stopped') return r?.fail('unavailable', 'node is stopped')
    try {
      this.handle(m, r)
    } catch (error) {
      if (error instanceof BorgError) {
        if (!r) throw error // a one-way message: the transport answers with the error
        r.fail(error.code, error.message)
      } else {
        t.log.error(`handler for ${m.kind} failed: ${(error as Error).stack ?? error}`)
        r?.fail('internal', `handler for ${m.kind} failed`)
      }
    } finally {
      forgetDecoded()
    }
  }

  private handle(m: Incoming, r: Responder | undefined): void {
    const t = this.t
    const kind = m.kind
    // Beats and peer sampling only compare the sender's id (and keep the table's copies they find by it).
    if (kind === KIND.hb) return onHeartbeat(t, m, r, m.fromHex)
    if (kind === KIND.shuffle) return onShuffle(t, m, r, m.fromHex)
    // The sender's id as the member table spells it: ids compared in hot loops are then the same string object.
    const from = t.deps.members?.id(m.fromHex) ?? m.fromHex
    const c = t.codecs
    switch (kind) {
      case KIND.join:
        return onJoin(t, decodedOnce(m, c.join.decode).member, r)
      case KIND.probe:
        return r?.reply(TREE_CODECS.probeReply.encode({ state: t.state, treeId: t.view?.treeId, position: t.view?.position, epoch: t.info?.epoch, root: t.info?.root }))
      case KIND.whereami:
        return onWhereami(t, decodedOnce(m, c.whereami.decode).member, r)
      case KIND.whois:
        return r?.reply(TREE_CODECS.whoisReply.encode({ ...whois(t), contacts: t.contacts.random(t.random, 4, from) }))
      case KIND.sync:
        return onSync(t, decodedOnce(m, c.sync.decode), r, from)
      case KIND.leave:
        return onLeave(t, decodedOnce(m, c.leave.decode), r)
      case KIND.assign: {
        const a = decodedOnce(m, c.assign.decode)
        return TRANSITIONS.adoptView(t, a.view, 'assign')
      }
      case KIND.suspect:
        return onSuspect(t, decodedOnce(m, c.suspect.decode))
      case KIND.promote:
        return onPromote(t, decodedOnce(m, c.promote.decode), from)
      case KIND.merge:
        return onMergeHint(t, decodedOnce(m, c.merge.decode))
      case KIND.bcast:
        return handleBroadcast(t, decodedOnce(m, c.bcast.decode), from)
      case KIND.route:
        return routeMessage(t, decodedOnce(m, c.route.decode))
    }
  }

  // -------------------------------------------------------------------- ticks

  private scheduleTick(): void {
    const t = this.t
    const jitter = 0.9 + 0.2 * t.random.float()
    const period = quietLeaf(t) ? t.config.quietHeartbeatMs : t.config.heartbeatMs
    t.tickTimer = t.deps.clock.after(period * jitter, this.onTick)
  }

  private ticked(): void {
    const t = this.t
    if (t.state === 'stopped') return
    try {
      this.tick()
    } catch (error) {
      t.report(error)
    }
    this.scheduleTick()
  }

  private tick(): void {
    const t = this.t
    const now = t.now()
    t.broadcasts.prune(now)
    if (t.join.parked) releaseParked(t)
    shuffle(t, now)
    if (t.state === 'joining') return joinTick(t, now)
    const view = t.view
    if (!view) return
    if (view.parent) heartbeatParent(t, view, now)
    for (const child of view.children) {
      if (t.liveness.isSuspected(child.id, now)) reportSuspect(t, child, now)
    }
    if (t.state === 'root') this.rootTick(now)
    rerouteHeld(t)
  }

  private rootTick(now: number): void {
    const t = this.t
    const roster = t.roster!
    // A deputy whose last sync failed gets another (a stale replica makes a poor failover).
    if (deputiesBehind(t)) syncDeputies(t)
    if ((t.root?.joinQueueSize ?? 0) > 0) scheduleJoinRound(t)
    if ((t.root?.pendingDeadSize ?? 0) > 0) runRepairs(t)
    // Small trees look for company every beat; large ones at the configured pace.
    const probeEvery = roster.size < 32 ? t.config.heartbeatMs : t.config.mergeProbeMs
    if (now - t.lastMergeProbeAt >= probeEvery) {
      t.lastMergeProbeAt = now
      mergeProbe(t)
    }
  }
}
