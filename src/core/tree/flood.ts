/**
 * Broadcast along tree edges: a node that sees a broadcast id for the first
 * time delivers it and forwards it to every tree neighbour but the one it came
 * from (a stable tree carries exactly N−1 copies). Every broadcast carries its
 * origin's signature, checked at every hop (sender-rules.ts), and each hop
 * takes it only from its parent or a child. A copy to a dead neighbour is
 * queued for its position and handed to whoever fills it; links that are new
 * (a repair, a join) get the recent broadcasts again, and a node that moves to
 * another tree carries them along, ids kept, so nobody delivers twice.
 */
import { bytesToHex } from '../bytes.js'
import { BodyType, type Outgoing } from '../wire/message.js'
import { KIND, type Broadcast, type Dissolve } from './messages.js'
import { TREE_CODECS } from './codec.js'
import { reuse } from './body-pool.js'
import type { TreeCore } from './core.js'
import { broadcastSignedBytes, signature } from './origin.js'
import { positionDestination } from './outbox.js'
import { queue } from './routing.js'
import type { Member, Placed } from './types.js'


/** Start a broadcast from this node, signed as its origin; returns its id. */
export function originate(t: TreeCore, kind: string, body: Uint8Array, bodyType: BodyType): string {
  const bid = `${t.self.id.slice(0, 16)}:${bytesToHex(t.random.bytes(8))}`
  const treeId = t.view?.treeId ?? ''
  const unsigned = { treeId, bid, origin: t.self.id, kind, body: Buffer.from(body).toString('base64'), bodyType, hops: 0, at: Math.floor(t.deps.clock.now()) }
  const b: Broadcast = { ...unsigned, sig: signature(t.deps.notary, broadcastSignedBytes(unsigned)) }
  t.broadcasts.stats.originated++
  handleBroadcast(t, b, undefined)
  return bid
}

/** A broadcast this node originated (fromId undefined) or accepted from a neighbour (sender-rules.ts checked it). */
export function handleBroadcast(t: TreeCore, b: Broadcast, fromId: string | undefined): void {
  // Broadcasts belong to one tree: a straggler from a tree this node has left stops here.
  if (fromId !== undefined && b.treeId !== t.view?.treeId) return
  const now = t.now()
  if (!t.broadcasts.firstSight(b, now)) return
  if (b.kind !== KIND.dissolve) {
    t.broadcasts.stats.delivered++
    t.deliver({ kind: b.kind, body: Buffer.from(b.body, 'base64'), bodyType: b.bodyType, origin: b.origin, via: 'broadcast', bid: b.bid, hops: b.hops })
  }
  // Every neighbour gets the same bytes (hops + 1): encoded once, and kept apart (reuse) so receivers
  // that get this very body (the simulator passes it by reference) share what it decodes to.
  let msg: Outgoing | undefined
  for (const n of t.placedNeighbours()) if (n.id !== fromId) forwardBroadcast(t, n, (msg ??= reuse(TREE_CODECS.bcast.encode({ ...b, hops: b.hops + 1 }))))
  if (b.kind === KIND.dissolve) onDissolve(t, b)
}

function forwardBroadcast(t: TreeCore, to: Placed, msg: Outgoing): void {
  t.broadcasts.stats.forwarded++
  t.send(to, msg, (error) => {
    // Kept for that position: handed to the neighbour when it answers again, or to whoever fills its place.
    if (error) queue(t, positionDestination(to.position), msg)
  })
}

/** A new link: resend what the neighbour may have missed. */
export function resendRecent(t: TreeCore, to: Placed): void {
  for (const b of t.broadcasts.recentSince(t.now(), t.config.broadcastMemoryMs)) {
    if (b.treeId !== t.view?.treeId) continue
    t.broadcasts.stats.resent++
    const msg = TREE_CODECS.bcast.encode({ ...b, hops: b.hops + 1 })
    t.send(to, msg, (error) => {
      if (error) queue(t, positionDestination(to.position), msg) // lost too: keep it for that position
    })
  }
}

/**
 * A node that moved to another tree (its own dissolved, or it was orphaned and
 * rejoined) brings along what was broadcast recently in the old one, so a
 * broadcast survives splits and merges. Ids are kept, so nobody delivers twice;
 * the origin's signature does not cover the tree, so it stays valid.
 */
export function carryOverBroadcasts(t: TreeCore, treeId: string): number {
  let carried = 0
  for (const b of t.broadcasts.recentSince(t.now(), t.config.broadcastMemoryMs)) {
    if (b.treeId === treeId || b.kind === KIND.dissolve) continue
    t.broadcasts.adopt({ ...b, treeId }, t.now())
    carried++
  }
  return carried
}

/** The body of a dissolve, or undefined when it is not one. */
export function dissolveBody(t: TreeCore, b: Pick<Broadcast, 'body'>): Dissolve | undefined {
  try {
    return t.codecs.dissolve.decode({ kind: KIND.dissolve, body: Buffer.from(b.body, 'base64'), bodyType: BodyType.json })
  } catch {
    return undefined
  }
}

function onDissolve(t: TreeCore, b: Broadcast): void {
  const target = dissolveBody(t, b)
  if (!target || target.root.id === t.self.id) return
  const root = t.canon(target.root.id, target.root.endpoint)
  t.events.dissolved++
  // Give the forwards a moment to leave, and spread the rejoin storm a little.
  t.after(t.random.int(t.config.joinTickMs * 5) + 1, () => t.transitions.resetToJoin(t, root))
}
