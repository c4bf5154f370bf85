/**
 * The state changes between roles: join (again), found a tree, become root,
 * adopt a view, step down, stop. Roles reach them through TreeCore.transitions
 * (one object shared by every node), so no role module imports another's
 * caller and the module graph has no cycles.
 */
import { bytesToHex } from '../bytes.js'
import type { Transitions, TreeCore } from './core.js'
import { carryOverBroadcasts, resendRecent } from './flood.js'
import { attemptJoin, seekRootOrFound } from './joiner.js'
import { Roster } from './roster.js'
import { flushPosition, rerouteHeld } from './routing.js'
import { compareEpoch, type Member, type View } from './types.js'

export const TRANSITIONS: Transitions = {
  resetToJoin,
  foundTree,
  becomeRoot,
  adoptView,
  seekRootOrFound,
  stepDown,
  leaveRootDuties,
  stop,
}

/** Drop the current place (and root duties) and join the tree of `target` (or whatever can be found). */
function resetToJoin(t: TreeCore, target: Member | undefined): void {
  leaveRootDuties(t)
  t.view = undefined
  t.info = undefined
  t.roster = undefined
  t.chain = undefined
  t.deputyCert = undefined
  t.suspectSentAtMap = undefined
  t.liveness.clear()
  t.state = 'joining'
  t.join.restart(target, t.now())
  if (target) t.contacts.add(target, t.self.id)
  attemptJoin(t)
}

function leaveRootDuties(t: TreeCore): void {
  t.root?.drop()
  t.root = undefined
}

function stop(t: TreeCore): void {
  t.state = 'stopped'
  t.tickTimer?.cancel()
  t.root?.joinTimer?.cancel()
  t.cancelTimers()
}

/** Start a new tree with this node as its root. */
function foundTree(t: TreeCore): void {
  const treeId = bytesToHex(t.random.bytes(16))
  t.chain = undefined // term 1: the founder needs no one's word
  t.deputyCert = undefined
  t.roster = new Roster(treeId, { term: 1, seq: 0 }, t.config.maxChildren, t.config.deputies, t.canon)
  t.roster.apply({ op: 'set', position: 1, member: t.self })
  becomeRoot(t)
}

function becomeRoot(t: TreeCore): void {
  const roster = t.roster!
  const previous = new Set(t.neighbours().map((n) => n.id))
  t.state = 'root'
  t.view = roster.viewFor(1)
  t.info = t.infoFromRoster()
  t.termLog = undefined
  t.lastMergeProbeAt = t.now()
  t.prepareLinks(previous)
  for (const child of t.view.children) {
    t.liveness.watch(child.id, t.now())
    // New links (a promoted last node has all-new children): resend what they may have missed.
    if (!previous.has(child.id)) resendRecent(t, child)
  }
  t.log.info(`root of tree ${roster.treeId.slice(0, 8)} (size ${roster.size}, term ${roster.epoch.term})`)
  rerouteHeld(t)
}

/** Take on an assignment from the root (or a whereami answer). */
function adoptView(t: TreeCore, view: View, source: string): void {
  if (t.state === 'stopped') return
  const current = t.view
  if (current && current.treeId === view.treeId) {
    if (compareEpoch(view.epoch, current.epoch) <= 0) return // stale
  } else if (t.state !== 'joining') {
    return // an assignment from a tree we are not joining
  }
  if (view.position === 1 && !(t.roster && t.roster.treeId === view.treeId && t.roster.at(1)?.id === t.self.id)) {
    return // only a promote makes a node root: it needs the roster
  }
  const previousNeighbours = new Set(t.neighbours().map((n) => n.id))
  const wasJoining = t.state === 'joining'
  t.view = view
  if (t.state !== 'root') t.state = view.position === 1 ? 'root' : 'member'
  if (!t.info || t.info.treeId !== view.treeId || compareEpoch(view.epoch, t.info.epoch) > 0) {
    t.info = { treeId: view.treeId, epoch: view.epoch, size: view.size, root: view.root, deputies: view.deputies, last: view.last }
  }
  if (wasJoining) {
    t.events.joins++
    t.join.joined()
    t.log.debug(`joined tree ${view.treeId.slice(0, 8)} at position ${view.position} (${source})`)
  }
  const carried = wasJoining ? carryOverBroadcasts(t, view.treeId) : 0
  // Deputies that no longer are drop their replica.
  if (t.state !== 'root' && !t.isDeputy()) {
    t.roster = undefined
    t.chain = undefined
    t.deputyCert = undefined
  }
  const now = t.now()
  const keep = new Set<string>()
  for (const n of t.neighbours()) {
    keep.add(n.id)
    t.liveness.watch(n.id, now)
    t.contacts.add(n, t.self.id)
  }
  t.liveness.retain(keep)
  t.prepareLinks(previousNeighbours)
  for (const m of [view.root, ...view.deputies]) t.contacts.add(m, t.self.id)
  // Repaired links: resend what the new neighbour may have missed, flush queued messages.
  for (const n of t.placedNeighbours()) {
    if (!previousNeighbours.has(n.id) || carried > 0) resendRecent(t, n)
    flushPosition(t, n)
  }
  if (wasJoining) rerouteHeld(t)
}

/** A stale root (the tree failed over without it) rejoins under the real one. */
function stepDown(t: TreeCore, root: Member): void {
  t.log.info(`tree ${t.roster?.treeId.slice(0, 8)} has a newer root ${root.id.slice(0, 12)}: stepping down and rejoining`)
  t.events.merges++
  resetToJoin(t, root)
}
