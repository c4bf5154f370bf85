/**
 * Broadcast along tree edges: a node that sees a broadcast id for the first
 * time delivers it and forwards it to every tree neighbour but the one it came
 * from (a stable tree carries exactly N−1 copies). A copy to a dead child is
 * queued for its position and sent around it to the grandchildren; links that
 * are new (a repair, a join) get the recent broadcasts again, and a node that
 * moves to another tree carries them along, ids kept, so nobody delivers twice.
 */
import { bytesToHex } from '../bytes.js'
import { BodyType } from '../wire/message.js'
import { KIND, message, type Broadcast } from './codec.js'
import type { TreeCore } from './core.js'
import { positionDestination } from './outbox.js'
import { queue } from './routing.js'
import type { Member, Placed } from './types.js'

/** Internal broadcast kind: "this tree dissolves into another". */
export const DISSOLVE_KIND = 'tree.dissolve'

/** Start a broadcast from this node; returns its id. */
export function originate(t: TreeCore, kind: string, body: Uint8Array, bodyType: BodyType): string {
  const bid = `${t.self.id.slice(0, 16)}:${bytesToHex(t.random.bytes(8))}`
  const treeId = t.view?.treeId ?? ''
  const b: Broadcast = { treeId, bid, origin: t.self.id, kind, body: Buffer.from(body).toString('base64'), bodyType, hops: 0 }
  t.broadcasts.stats.originated++
  handleBroadcast(t, b, undefined)
  return bid
}

export function handleBroadcast(t: TreeCore, b: Broadcast, fromId: string | undefined): void {
  // Broadcasts belong to one tree: a straggler from a tree this node has left stops here.
  if (fromId !== undefined && b.treeId !== t.view?.treeId) return
  const now = t.now()
  if (!t.broadcasts.firstSight(b, now)) return
  if (b.kind !== DISSOLVE_KIND) {
    t.broadcasts.stats.delivered++
    t.deliver({ kind: b.kind, body: Buffer.from(b.body, 'base64'), bodyType: b.bodyType, origin: b.origin, via: 'broadcast', bid: b.bid, hops: b.hops })
  }
  for (const n of t.placedNeighbours()) if (n.id !== fromId) forwardBroadcast(t, n, b, true)
  if (b.kind === DISSOLVE_KIND) onDissolve(t, b)
}

function forwardBroadcast(t: TreeCore, to: Placed, b: Broadcast, fallback: boolean): void {
  t.broadcasts.stats.forwarded++
  const msg = message(KIND.bcast, { ...b, hops: b.hops + 1 })
  t.send(to, msg, (error) => {
    if (!error || !fallback) return
    queue(t, positionDestination(to.position), msg)
    // Route around a dead child until it is replaced.
    const grandchildren = t.grandchildrenMap?.get(to.id) ?? []
    for (const gc of grandchildren) {
      t.broadcasts.stats.routedAround++
      forwardBroadcast(t, gc, b, false)
    }
  })
}

/** A new link: resend what the neighbour may have missed. */
export function resendRecent(t: TreeCore, to: Placed): void {
  for (const b of t.broadcasts.recentSince(t.now(), t.config.broadcastMemoryMs)) {
    if (b.treeId !== t.view?.treeId) continue
    t.broadcasts.stats.resent++
    const msg = message(KIND.bcast, { ...b, hops: b.hops + 1 })
    t.send(to, msg, (error) => {
      if (error) queue(t, positionDestination(to.position), msg) // lost too: keep it for that position
    })
  }
}

/**
 * A node that moved to another tree (its own dissolved, or it was orphaned and
 * rejoined) brings along what was broadcast recently in the old one, so a
 * broadcast survives splits and merges. Ids are kept, so nobody delivers twice.
 */
export function carryOverBroadcasts(t: TreeCore, treeId: string): number {
  let carried = 0
  for (const b of t.broadcasts.recentSince(t.now(), t.config.broadcastMemoryMs)) {
    if (b.treeId === treeId || b.kind === DISSOLVE_KIND) continue
    t.broadcasts.adopt({ ...b, treeId }, t.now())
    carried++
  }
  return carried
}

function onDissolve(t: TreeCore, b: Broadcast): void {
  let root: Member
  try {
    root = JSON.parse(Buffer.from(b.body, 'base64').toString('utf8')).root as Member
  } catch {
    return
  }
  if (!root?.id || root.id === t.self.id) return
  t.events.dissolved++
  // Give the forwards a moment to leave, and spread the rejoin storm a little.
  t.after(t.random.int(t.config.joinTickMs * 5) + 1, () => t.transitions.resetToJoin(t, root))
}
