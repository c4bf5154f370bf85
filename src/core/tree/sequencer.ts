/**
 * The root as the single sequencer of its tree: joiners queue and are admitted
 * in rounds (one parent's free slots per round), every roster change is
 * committed under the next epoch, the affected members get their new views
 * (resent until they stick), and the deputies get the change (a delta when
 * they are one step behind, a snapshot otherwise).
 */
import type { Outgoing } from '../wire/message.js'
import type { Assign, SyncRequest, TermCert } from './messages.js'
import { TREE_CODECS } from './codec.js'
import { reuse } from './body-pool.js'
import type { TreeCore } from './core.js'
import { resendRecent } from './flood.js'
import { childrenOf, parentOf } from './position.js'
import { issueDeputyCert } from './origin.js'
import { RootDuties, TermLog } from './root-duties.js'
import type { RosterOp } from './roster.js'
import { flushNode, flushPosition } from './routing.js'
import { partsOf } from './snapshot-parts.js'
import { compareEpoch, type Epoch, type Member, type View } from './types.js'

const OP_LOG_LIMIT = 4096

/** This node's root duties (allocated on first use while root). */
export function duties(t: TreeCore): RootDuties {
  return (t.root ??= new RootDuties())
}

/** The current term's op log and deputy acknowledgements (allocated on first use). */
export function termLog(t: TreeCore): TermLog {
  return (t.termLog ??= new TermLog())
}

export function enqueueJoiner(t: TreeCore, member: Member): void {
  duties(t).joinQueue.set(member.id, member)
  scheduleJoinRound(t)
}

export function scheduleJoinRound(t: TreeCore): void {
  const root = duties(t)
  if (root.joinTimer) return
  root.joinTimer = t.deps.clock.after(t.config.joinTickMs, () => {
    root.joinTimer = undefined
    if (t.state !== 'root') return
    t.guard(() => joinRounds(t))
    if ((t.root?.joinQueueSize ?? 0) > 0) scheduleJoinRound(t)
  })
}

/** Admit queued joiners: each round fills the free slots of one parent. */
function joinRounds(t: TreeCore): void {
  const roster = t.roster!
  const root = duties(t)
  if (root.repairing || root.pendingDeadSize > 0) return // the last position is about to move: wait
  const m = t.config.maxChildren
  const ops: RosterOp[] = []
  const affected = new Set<number>()
  const rejoined: number[] = []
  let size = roster.size
  const queue = root.joinQueue
  const leafOnly = t.deps.leafOnly
  /** Members placed in this batch, not yet in the roster (commit applies the ops). */
  const placed = leafOnly && new Map<number, Member>()
  /** Cleared once a search of the queue finds no public joiner (none arrive during a round). */
  const publicWaiting = { maybe: true }
  for (let round = 0; round < t.config.roundsPerTick && queue.size > 0; round++) {
    const parent = parentOf(size + 1, m)
    const slots = parent * m + 1 - size // positions size+1 … parent·m+1 are free under `parent`
    let taken = 0
    for (const [queuedId, queued] of queue) {
      if (taken >= slots) break
      const [id, member] = leafOnly ? publicFirst(t, queue, queuedId, queued, parent > 1 ? (placed!.get(parent) ?? roster.at(parent)) : undefined, publicWaiting) : [queuedId, queued]
      queue.delete(id)
      const existing = roster.positionOf(id)
      if (existing !== undefined) {
        // A known node restarted or lost its assignment: it keeps its position.
        if (roster.at(existing)!.endpoint !== member.endpoint) {
          ops.push({ op: 'set', position: existing, member })
          rejoined.push(...neighboursOf(existing, m, roster.size)) // they must learn its new endpoint
        }
        rejoined.push(existing)
        continue
      }
      size++
      let leaf = member
      const above = leafOnly && parent > 1 ? (placed!.get(parent) ?? roster.at(parent)) : undefined
      if (above && leafOnly!(above) && !leafOnly!(member)) {
        // `parent` is a leaf-only member about to have children: the joiner takes its position,
        // and it moves to the new leaf (everyone around `parent` learns who is there now).
        ops.push({ op: 'set', position: parent, member })
        placed!.set(parent, member)
        for (const p of neighboursOf(parent, m, size)) affected.add(p)
        leaf = above
      }
      ops.push({ op: 'set', position: size, member: leaf })
      placed?.set(size, leaf)
      affected.add(size)
      taken++
    }
    if (taken > 0) {
      affected.add(parent)
      t.events.joinRounds++
    }
  }
  if (ops.length > 0 || rejoined.length > 0) commit(t, ops, [...affected, ...rejoined])
}

/**
 * The joiner to place under `above`: the queue's next one, unless both are leaf-only and a public
 * joiner waits, who can then take `above`'s place (leaf-only members stay leaves).
 */
function publicFirst(t: TreeCore, queue: Map<string, Member>, id: string, member: Member, above: Member | undefined, publicWaiting: { maybe: boolean }): [string, Member] {
  const leafOnly = t.deps.leafOnly!
  if (!publicWaiting.maybe || !above || !leafOnly(above) || !leafOnly(member)) return [id, member]
  for (const [otherId, other] of queue) if (!leafOnly(other) && t.roster!.positionOf(otherId) === undefined) return [otherId, other]
  // A queue of relayed joiners only: searching it again for each of them would cost its size squared.
  publicWaiting.maybe = false
  return [id, member]
}

/** The positions next to `position` (its parent and children): the nodes that talk to it directly. */
export function neighboursOf(position: number, maxChildren: number, size: number): number[] {
  return [...(position > 1 ? [parentOf(position, maxChildren)] : []), ...childrenOf(position, maxChildren, size)]
}

/** Apply roster operations, bump the epoch, tell every affected node and the deputies. */
export function commit(t: TreeCore, ops: RosterOp[], affectedPositions: number[]): void {
  const roster = t.roster!
  const log = termLog(t).opLog
  for (const op of ops) roster.apply(op)
  roster.epoch = { term: roster.epoch.term, seq: roster.epoch.seq + 1 }
  log.push({ epoch: { ...roster.epoch }, ops })
  if (log.length > OP_LOG_LIMIT) log.shift()
  t.info = t.infoFromRoster()
  const positions = new Set(affectedPositions.filter((p) => p >= 1 && p <= roster.size))
  for (const position of positions) {
    const member = roster.at(position)!
    if (member.id === t.self.id) adoptOwnView(t, roster.viewFor(position))
    else sendAssign(t, member, position, 0)
    flushNode(t, member)
  }
  syncDeputies(t)
}

/** Assignments must arrive: resend (the current view) a few times while the position is still that member's. */
function sendAssign(t: TreeCore, member: Member, position: number, attempt: number): void {
  const roster = t.roster!
  t.send(member, TREE_CODECS.assign.encode(assignment(t, roster.viewFor(position))), (error) => {
    if (!error || attempt >= 4) return
    t.after(t.config.joinTickMs * 2 ** attempt, () => {
      if (t.state === 'root' && t.roster === roster && roster.at(position)?.id === member.id) sendAssign(t, member, position, attempt + 1)
    })
  })
}

/** A root of a later term than the first shows who made it root, so members that knew an older root accept it. */
/** A view to assign, with the root's chain when this term has certificates. */
function assignment(t: TreeCore, view: View): Assign {
  const chain = currentChain(t)
  return chain ? { view, chain } : { view }
}

/** The root's term certificates, when the last is of the roster's term. */
function currentChain(t: TreeCore): TermCert[] | undefined {
  const chain = t.chain
  return chain && chain.length > 0 && chain[chain.length - 1]!.term === t.roster!.epoch.term ? chain : undefined
}

function withChain<T extends object>(t: TreeCore, body: T): T | (T & { chain: TermCert[] }) {
  const chain = currentChain(t)
  return chain ? { ...body, chain } : body
}

/** The root's own view changes with its children. */
function adoptOwnView(t: TreeCore, view: View): void {
  const previous = new Set(t.neighbours().map((n) => n.id))
  t.view = view
  t.prepareLinks(previous)
  const now = t.now()
  for (const child of view.children) {
    t.liveness.watch(child.id, now)
    t.contacts.add(child, t.self.id)
    if (!previous.has(child.id)) resendRecent(t, child)
    flushPosition(t, child)
  }
  t.liveness.retain(new Set(view.children.map((c) => c.id)))
}

/** Bring every deputy's replica up to the roster's epoch. */
export function syncDeputies(t: TreeCore): void {
  const roster = t.roster!
  const log = termLog(t)
  // Deputies synced to the same epoch get the same delta: encoded once (a storm's round is ~50,000
  // operations, megabytes of JSON) and kept for reuse, so the simulator's deputies decode it once.
  let delta: { base: Epoch; message: Outgoing } | undefined
  for (const deputy of roster.deputies()) {
    if (deputy.id === t.self.id || log.snapshotting?.has(deputy.id)) continue // a snapshot in parts first
    const synced = log.deputySynced.get(deputy.id)
    let message: Outgoing
    if (delta && synced && compareEpoch(delta.base, synced) === 0) message = delta.message
    else {
      const body = withChain(t, deputySyncBody(t, synced, deputy.id))
      if (body.snapshot && body.snapshot.length > t.config.snapshotPartMembers) {
        sendSnapshotInParts(t, deputy, body)
        continue
      }
      message = TREE_CODECS.sync.encode(body)
      if (body.base) delta = { base: body.base, message: (message = reuse(message)) }
    }
    const epoch = { ...roster.epoch }
    t.request(deputy, message, (error, reply) => {
      const acknowledged = termLog(t).deputySynced
      if (error || !reply) return acknowledged.delete(deputy.id)
      if (t.codecs.syncReply.decode(reply).ok) acknowledged.set(deputy.id, epoch)
      else acknowledged.delete(deputy.id) // next commit sends a snapshot
    })
  }
}

/**
 * A snapshot larger than one part goes as parts, one at a time, each after the last was taken (the
 * root keeps the array it sent from, so every part is of the same epoch). No other sync goes to that
 * deputy meanwhile; once it has them all, the next sync (rootTick: deputiesBehind) is a delta from there.
 */
function sendSnapshotInParts(t: TreeCore, deputy: Member, body: SyncRequest): void {
  const log = termLog(t)
  const sending = (log.snapshotting ??= new Set())
  sending.add(deputy.id)
  const parts = partsOf(body.snapshot!, t.config.snapshotPartMembers)
  const epoch = { ...body.epoch }
  const send = (index: number): void => {
    const part: SyncRequest = { ...body, snapshot: parts[index]!, part: [index, parts.length] }
    t.request(deputy, TREE_CODECS.sync.encode(part), (error, reply) => {
      if (t.termLog !== log) return // no longer root of this term: nothing to finish
      const ok = !error && !!reply && t.codecs.syncReply.decode(reply).ok
      if (ok && index + 1 < parts.length) return send(index + 1)
      sending.delete(deputy.id)
      if (ok) log.deputySynced.set(deputy.id, epoch)
      else log.deputySynced.delete(deputy.id)
    })
  }
  send(0)
}

/** A delta from the deputy's acknowledged epoch when the op log still holds it contiguously, else a snapshot. */
function deputySyncBody(t: TreeCore, synced: { term: number; seq: number } | undefined, deputy: string): SyncRequest {
  const roster = t.roster!
  const opLog = termLog(t).opLog
  const start = synced ? opLog.findIndex((e) => compareEpoch(e.epoch, synced) > 0) : -1
  const contiguous = synced && start > 0 && compareEpoch(opLog[start - 1]!.epoch, synced) === 0
  if (synced && contiguous) {
    return { treeId: roster.treeId, epoch: roster.epoch, base: synced, ops: opLog.slice(start).flatMap((e) => e.ops), maxChildren: roster.maxChildren }
  }
  // A snapshot starts a deputy's term: it carries the root's word that the receiver is its deputy.
  const log = termLog(t)
  let deputyCert = log.deputyCerts.get(deputy)
  if (deputyCert?.term !== roster.epoch.term) log.deputyCerts.set(deputy, (deputyCert = issueDeputyCert(t.deps.notary, t.self.id, roster.treeId, roster.epoch.term, deputy)))
  return { treeId: roster.treeId, epoch: roster.epoch, snapshot: roster.snapshot(), maxChildren: roster.maxChildren, deputyCert }
}

/** Deputies whose last sync failed (or lags the roster) get another: a stale replica makes a poor failover. */
export function deputiesBehind(t: TreeCore): boolean {
  const roster = t.roster!
  const synced = termLog(t).deputySynced
  return roster.deputies().some((d) => d.id !== t.self.id && compareEpoch(synced.get(d.id) ?? { term: 0, seq: 0 }, roster.epoch) !== 0)
}
