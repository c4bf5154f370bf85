/**
 * The root repairs its tree: a suspected member is probed; dead positions are
 * filled in batches by moving the last nodes into the holes (lowest hole
 * first), after probing the movers; many failures at once are settled by a
 * sweep that probes everyone. A member leaving gracefully is repaired the same
 * way. repairPlan is pure.
 */
import type { Responder } from '../wire/transport.js'
import type { LeaveRequest, Suspect } from './messages.js'
import { TREE_CODECS } from './codec.js'
import { meetRoot } from './merge.js'
import type { TreeCore } from './core.js'
import { childrenOf, parentOf } from './position.js'
import { PROBE } from './root-finder.js'
import type { Roster, RosterOp } from './roster.js'
import { flushPosition } from './routing.js'
import { commit, duties, scheduleJoinRound } from './sequencer.js'

const LEAVE_OK = TREE_CODECS.leaveReply.encode({})

export interface RepairPlan {
  newSize: number
  /** Dead positions at or below the new size, lowest first. */
  holes: number[]
  /** Live positions beyond the new size, which move into the holes in order. */
  movers: number[]
}

/** With D dead positions the tree shrinks to S − |D|; the live nodes beyond it move into the holes below it. */
export function repairPlan(size: number, dead: ReadonlySet<number>): RepairPlan {
  const newSize = size - dead.size
  const holes = [...dead].filter((p) => p <= newSize).sort((a, b) => a - b)
  const movers: number[] = []
  for (let p = newSize + 1; p <= size; p++) if (!dead.has(p)) movers.push(p)
  return { newSize, holes, movers }
}

/** A member reports a silent neighbour (sender-rules.ts checked it is a member reporting its parent or a child). */
export function onSuspect(t: TreeCore, s: Suspect): void {
  if (t.state !== 'root' || !t.roster || s.treeId !== t.roster.treeId) return
  handleSuspect(t, s.position, s.id)
}

export function handleSuspect(t: TreeCore, position: number, id: string): void {
  const roster = t.roster!
  if (roster.at(position)?.id !== id || duties(t).pendingDead.has(position) || id === t.self.id) return
  const member = roster.at(position)!
  t.request(member, PROBE, (error, reply) => {
    if (t.state !== 'root' || t.roster !== roster || roster.at(position)?.id !== id) return
    if (!error && reply) {
      const probe = t.codecs.probeReply.decode(reply)
      if (probe.treeId === roster.treeId && probe.epoch && probe.root && probe.epoch.term > roster.epoch.term) {
        // The tree moved on without us (we were taken for dead): meet its new root; the smaller side merges into the larger.
        return meetRoot(t, probe.root)
      }
      if (probe.treeId === roster.treeId && probe.position === position) return // alive and in place: false alarm
    }
    const pendingDead = duties(t).pendingDead
    pendingDead.add(position)
    if (pendingDead.size > Math.max(3, roster.size / 50)) sweep(t)
    runRepairs(t)
  })
}

/**
 * Fill holes. The movers are probed first, all at once; a mover that does not
 * answer is dead too and the plan is recomputed. One commit applies the whole
 * batch, so many failures cost one round of probes.
 */
export function runRepairs(t: TreeCore): void {
  const roster = t.roster
  if (!roster || t.state !== 'root') return
  const root = duties(t)
  if (root.repairing) return
  for (const p of root.pendingDead) if (p > roster.size || p === 1) root.pendingDead.delete(p)
  if (root.pendingDead.size === 0) {
    if (root.joinQueueSize > 0) scheduleJoinRound(t)
    return
  }
  const plan = repairPlan(roster.size, root.pendingDead)
  const unverified = plan.movers.filter((p) => !recentlyAlive(t, roster.at(p)!.id))
  if (unverified.length === 0) return applyRepairPlan(t, plan)
  root.repairing = true
  let pending = unverified.length
  for (const position of unverified) {
    const member = roster.at(position)!
    t.request(member, PROBE, (error, reply) => {
      if (t.roster !== roster || roster.at(position)?.id !== member.id) return repairDone(t, --pending)
      const answered = !error && reply && t.codecs.probeReply.decode(reply).treeId === roster.treeId
      if (answered) duties(t).aliveAt.set(member.id, t.now())
      else duties(t).pendingDead.add(position)
      repairDone(t, --pending)
    })
  }
}

function repairDone(t: TreeCore, pending: number): void {
  if (pending > 0) return
  if (t.root) t.root.repairing = false
  if (t.state === 'root') runRepairs(t)
}

/**
 * A mover that answered within the last three request timeouts needs no second probe: a round of probes
 * lasts up to one timeout (the dead time out), so with a shorter memory a large batch of failures never
 * settles, every round forgetting what the one before verified.
 */
function recentlyAlive(t: TreeCore, id: string): boolean {
  return t.now() - (duties(t).aliveAt.get(id) ?? -Infinity) < 3 * t.config.requestTimeoutMs
}

function applyRepairPlan(t: TreeCore, plan: RepairPlan): void {
  const roster = t.roster!
  const root = duties(t)
  const m = t.config.maxChildren
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
  t.events.repairs += root.pendingDead.size
  root.pendingDead.clear()
  commit(t, ops, [...affected])
  // Messages held for a dead position now belong to its new occupant.
  plan.holes.forEach((hole, i) => flushPosition(t, { ...moving[i]!, position: hole }))
  if (root.joinQueueSize > 0) scheduleJoinRound(t)
}

/**
 * Many positions failing at once (a partition, a failover) is cheaper to
 * settle by asking everyone at once than by waiting for each parent to notice.
 */
export function sweep(t: TreeCore): void {
  const roster = t.roster
  if (!roster || duties(t).sweeping) return
  duties(t).sweeping = true
  let pending = roster.size - 1
  const done = () => {
    if (--pending > 0) return
    if (t.root) t.root.sweeping = false
    if (t.state === 'root') runRepairs(t)
  }
  if (pending === 0) return done()
  for (let position = 2; position <= roster.size; position++) {
    const member = roster.at(position)!
    t.request(member, PROBE, (error, reply) => {
      if (t.roster === roster && roster.at(position)?.id === member.id) {
        const probe = !error && reply ? t.codecs.probeReply.decode(reply) : undefined
        if (probe && probe.treeId === roster.treeId) duties(t).aliveAt.set(member.id, t.now())
        else duties(t).pendingDead.add(position)
      }
      done()
    })
  }
}

/**
 * A placed member asks to join again as a leaf-only member (it turned relayed) while its position
 * has children: the position is repaired like a leaver's (the last node fills it), and the member,
 * queued meanwhile, is placed again as a new leaf once the repair is done (joins wait for repairs).
 */
export function vacateForLeaf(t: TreeCore, member: { id: string }): void {
  const roster = t.roster
  const position = roster?.positionOf(member.id)
  if (!roster || t.state !== 'root' || position === undefined || position === 1) return
  if (childrenOf(position, t.config.maxChildren, roster.size).length === 0) return
  duties(t).pendingDead.add(position)
  runRepairs(t)
}

/** A member hands its position over: it is repaired like a dead one. */
export function onLeave(t: TreeCore, request: LeaveRequest, r: Responder | undefined): void {
  const roster = t.roster
  if (t.state !== 'root' || !roster || request.treeId !== roster.treeId) return r?.fail('unavailable', 'not the root of that tree')
  const position = roster.positionOf(request.member.id)
  if (position !== undefined) {
    duties(t).pendingDead.add(position)
    runRepairs(t)
  }
  r?.reply(LEAVE_OK)
}

/** The roster a repair acts on, for tests. */
export type { Roster }
