/**
 * Heartbeats: every node beats to its parent with its place in the tree; the
 * parent answers whether the sender is its child there and passes tree-wide
 * info down. Silence raises suspicion: a silent child or
 * parent is reported to the root (the root probes it), a silent root makes a
 * deputy consider failover, and a long silence makes a node check whether its
 * tree still has it.
 */
import type { Incoming, Outgoing } from '../wire/message.js'
import type { Responder } from '../wire/transport.js'
import type { HeartbeatReply, TreeInfo } from './messages.js'
import { TREE_CODECS } from './codec.js'
import { reuse } from './body-pool.js'
import type { TreeCore } from './core.js'
import { considerFailover } from './failover.js'
import { firstChildOf, parentOf } from './position.js'
import { handleSuspect } from './repair.js'
import { orphanCheck, refreshView, whereami } from './root-finder.js'
import { flushPosition } from './routing.js'
import { compareEpoch, type Epoch, type Placed, type View } from './types.js'

export function heartbeatParent(t: TreeCore, view: View, now: number): void {
  const parent = view.parent!
  const parentPosition = parentOf(view.position, t.config.maxChildren)
  const known = t.info && t.info.treeId === view.treeId ? t.info.epoch : undefined
  // Unchanged view and info: the same body as last beat, encoded once (kept for reuse from its second use
  // on: while a tree grows, info changes between most beats).
  // Only the key is kept after a first use: a kept pooled body would pin its slab.
  const cached = t.hbCache
  const same = cached !== undefined && cached.view === view && cached.known === known
  let hbMessage: Outgoing | undefined = same ? cached.message : undefined
  if (!hbMessage) {
    const hb = { treeId: view.treeId, epoch: view.epoch, position: view.position, known }
    hbMessage = same ? reuse(TREE_CODECS.hb.encode(hb)) : TREE_CODECS.hb.encode(hb)
    t.hbCache = { view, known, message: same ? hbMessage : undefined }
  }
  t.request(parent, hbMessage, (error, reply) => {
    if (error || !reply || t.view !== view) return
    const answer = t.codecs.hbReply.decode(reply)
    // A parent placed in no tree (term 0: it restarted, or left and is joining again) answers at the
    // same address but is not our parent any more: that is no sign of life, so the silence goes on
    // to suspicion, a probe and a repair (or a failover, when it was the root).
    if (!answer.childOk && answer.epoch.term === 0 && !answer.info) return
    t.liveness.heard(parent.id, t.now())
    onHeartbeatReply(t, view, answer)
    if (t.outbox.depth > 0) flushPosition(t, { ...parent, position: parentPosition }) // no object per beat when nothing waits
    // In place: a leaf may beat at the quiet pace (quietLeaf). Tree info that changed reaches it at that
    // pace too; it has no children to pass it on to.
    if (t.view === view) t.quietView = answer.childOk ? view : undefined
  })
  if (!t.liveness.isSuspected(parent.id, now)) return
  const placedParent = { ...parent, position: parentPosition }
  if (parentPosition === 1 && t.isDeputy()) considerFailover(t, view)
  else reportSuspect(t, placedParent, now)
  if (t.liveness.silence(parent.id, now) > t.config.orphanAfterMs) orphanCheck(t, view)
}

/**
 * Whether this node ticks (and so beats) at the quiet pace, quietHeartbeatMs: a leaf whose last beat
 * its parent answered `childOk` (in place at its current placement), that is no deputy and holds
 * nothing to reroute. Most nodes of a large tree are such leaves. Inner nodes keep beating every
 * heartbeatMs: their silence is what starts the repair of a subtree, and tree info passes through
 * them. A leaf that gains a child, moves, or is told it is not in place is back at heartbeatMs from
 * its next tick on.
 */
export function quietLeaf(t: TreeCore): boolean {
  const view = t.view
  return t.state === 'member' && view !== undefined && t.quietView === view && view.children.length === 0 && !t.isDeputy() && t.outbox.depth === 0
}

function onHeartbeatReply(t: TreeCore, view: View, reply: HeartbeatReply): void {
  for (const c of reply.contacts ?? []) t.contacts.add(c, t.self.id)
  const info = reply.info
  if (info && info.treeId !== view.treeId) {
    // The parent now belongs to another tree (ours dissolved or it was orphaned): follow it.
    t.log.info(`parent moved to tree ${info.treeId.slice(0, 8)}: rejoining there`)
    return t.transitions.resetToJoin(t, info.root)
  }
  if (info && (!t.info || compareEpoch(info.epoch, t.info.epoch) > 0)) t.info = info
  if (!reply.childOk) {
    // Either we are stale (ask the root where we are) or the parent is (its assignment is on the way).
    if (compareEpoch(reply.epoch, view.epoch) >= 0) whereami(t, view)
  }
}

export function onHeartbeat(t: TreeCore, m: Incoming, r: Responder | undefined, from: string): void {
  const hb = t.codecs.hb.decode(m)
  const view = t.view
  // Children sit in position order from the first child's position: look up the one claimed, not each in turn.
  const claimed = view ? view.children[hb.position - firstChildOf(view.position, t.config.maxChildren)] : undefined
  const child = claimed?.id === from ? claimed : undefined
  const childOk = !!view && view.treeId === hb.treeId && !!child && child.position === hb.position
  if (!childOk && view && view.treeId === hb.treeId && compareEpoch(hb.epoch, view.epoch) > 0 && t.state === 'member') {
    // A node with a newer assignment says it is our child: ours was lost on the way. Ask the root.
    refreshView(t, view)
  }
  if (childOk) {
    t.liveness.heard(child!.id, t.now()) // the view's copy of the id: `from` may be the message's own string
    flushPosition(t, child!)
  }
  // Tree-wide info only when the child lacks it (same content as before: it ignores what is not newer).
  const known = t.state === 'root' && t.roster ? t.roster.epoch : t.info?.epoch
  const treeId = t.state === 'root' && t.roster ? t.roster.treeId : t.info?.treeId
  const stale = !hb.known || treeId !== hb.treeId || (known !== undefined && compareEpoch(known, hb.known) > 0)
  const info = !stale ? undefined : t.state === 'root' && t.roster ? rootInfo(t) : t.info
  if (!r) return
  if (childOk && info === undefined) return r.reply(plainReply(t, view!.epoch))
  // A child that is behind (new, or the tree changed) also gets a few contacts; peer sampling (shuffle) keeps them fresh after that.
  const contacts = t.contacts.random(t.random, 3, from)
  r.reply(TREE_CODECS.hbReply.encode({ childOk, epoch: view?.epoch ?? { term: 0, seq: 0 }, info, contacts }))
}

/**
 * A root's tree info: the one its last commit made (sequencer.ts sets t.info), while it still matches the
 * roster, so every child behind gets the same object; built afresh only if the roster moved without one.
 */
function rootInfo(t: TreeCore): TreeInfo {
  const roster = t.roster!
  const info = t.info
  if (info && info.treeId === roster.treeId && compareEpoch(info.epoch, roster.epoch) === 0 && info.size === roster.size) return info
  return t.infoFromRoster()
}

/**
 * The answer a child up to date gets at every beat: `{"childOk":true,"epoch":…}`, the same bytes for
 * all children while this node's placement stands, kept for reuse from its second use on (receivers
 * then decode it once), as the heartbeat itself is.
 */
function plainReply(t: TreeCore, epoch: Epoch): Outgoing {
  const cached = t.hbReplyCache
  if (cached?.epoch === epoch) return (cached.message ??= reuse(TREE_CODECS.hbReply.encode({ childOk: true, epoch })))
  t.hbReplyCache = { epoch, message: undefined }
  return TREE_CODECS.hbReply.encode({ childOk: true, epoch })
}

/** A silent neighbour: the root probes it (this node, when it is the root). */
export function reportSuspect(t: TreeCore, peer: Placed, now: number): void {
  const key = `${peer.position}:${peer.id}`
  if (now - (t.suspectSentAt.get(key) ?? -Infinity) < t.config.minFailTimeoutMs) return
  t.suspectSentAt.set(key, now)
  const view = t.view!
  if (t.state === 'root') return handleSuspect(t, peer.position, peer.id)
  const root = t.info?.root ?? view.root
  t.send(root, TREE_CODECS.suspect.encode({ treeId: view.treeId, position: peer.position, id: peer.id }))
}
