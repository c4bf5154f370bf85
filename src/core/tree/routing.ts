/**
 * Messages routed to one position or node along the tree, and the outbox that
 * holds what cannot be delivered yet. A node id goes up to the root, which
 * adds the node's position; below the root a message follows that position.
 * Every routed message carries its origin's signature (checked at every hop,
 * sender-rules.ts) and an id, so the addressee delivers it once. Held messages
 * are flushed when their neighbour answers or its position is refilled, and
 * routed again when no flush would ever serve them.
 */
import { bytesToHex } from '../bytes.js'
import { BodyType, type Incoming, type Outgoing } from '../wire/message.js'
import { KIND, type Route } from './messages.js'
import { TREE_CODECS } from './codec.js'
import type { TreeCore } from './core.js'
import { routeSignedBytes, signature } from './origin.js'
import { nodeDestination, positionDestination, type QueuedMessage } from './outbox.js'
import { nextHop } from './position.js'
import type { Member, Placed } from './types.js'

const MAX_ROUTE_HOPS = 128
/** Routed message ids remembered by the addressee (each is delivered once). */
const DELIVERED_ROUTES = 1024

/** Send a payload to one position or node, signed as its origin. */
export function originateRoute(t: TreeCore, dst: Route['dst'], kind: string, body: Uint8Array, bodyType: BodyType): void {
  const unsigned = {
    treeId: t.view?.treeId,
    dst,
    src: t.self,
    kind,
    body: Buffer.from(body).toString('base64'),
    bodyType,
    hops: 0,
    rid: bytesToHex(t.random.bytes(8)),
    at: Math.floor(t.deps.clock.now()),
  }
  routeMessage(t, { ...unsigned, sig: signature(t.deps.notary, routeSignedBytes(unsigned)) })
}

/** First delivery of this route id here? */
function firstDelivery(t: TreeCore, rid: string): boolean {
  const seen = (t.deliveredRoutes ??= new Set())
  if (seen.has(rid)) return false
  seen.add(rid)
  if (seen.size > DELIVERED_ROUTES) seen.delete(seen.values().next().value!)
  return true
}
/** Outbox destinations for node ids: see outbox.ts nodeDestination. */
const NODE_PREFIX = nodeDestination('')

export function routeMessage(t: TreeCore, r: Route): void {
  const view = t.view
  const forMe = r.dst.node === t.self.id || (r.dst.node === undefined && view && r.dst.position === view.position)
  if (forMe) {
    if (!firstDelivery(t, r.rid)) return void t.routed.duplicates++
    t.routed.delivered++
    return t.deliver({ kind: r.kind, body: Buffer.from(r.body, 'base64'), bodyType: r.bodyType, origin: r.src.id, via: 'direct' })
  }
  if (r.hops >= MAX_ROUTE_HOPS) {
    t.routed.dropped++
    return t.log.warn(`dropping a routed ${r.kind} after ${r.hops} hops (routing loop?)`, 'route-loop')
  }
  const next = (dst: Route['dst']) => TREE_CODECS.route.encode({ ...r, dst, treeId: dst.node === undefined ? r.treeId : undefined, hops: r.hops + 1 })
  if (!view || t.state === 'joining') return queue(t, r.dst.node ? nodeDestination(r.dst.node) : positionDestination(r.dst.position!), next(r.dst))
  if (r.treeId && r.treeId !== view.treeId && r.dst.node === undefined) {
    t.routed.dropped++
    return t.log.warn(`dropping a ${r.kind} routed to a position of tree ${r.treeId.slice(0, 8)}, which this node has left`, 'route-tree')
  }
  // A node id goes up to the root, which adds the node's position; below the root the message follows
  // that position. A position that turns out stale (it is this node's, and this is not the addressee)
  // is dropped and the message goes up again to be resolved afresh.
  let target: number
  let dst = r.dst
  if (dst.node === undefined) target = dst.position!
  else if (t.state === 'root' && t.roster) {
    const position = t.roster.positionOf(dst.node)
    if (position === undefined) return queue(t, nodeDestination(dst.node), next({ node: dst.node })) // flushed when it (re)joins
    target = position
    dst = { node: dst.node, position }
  } else if (dst.position !== undefined && dst.position !== view.position) target = dst.position
  else {
    target = 1
    dst = { node: dst.node }
  }
  const msg = next(dst)
  const hop = nextHop(view.position, target, t.config.maxChildren)
  const neighbour = t.placedNeighbours().find((n) => n.position === hop)
  if (!neighbour) return queue(t, positionDestination(hop), msg)
  t.routed.forwarded++
  t.send(neighbour, msg, (error) => {
    if (error) queue(t, positionDestination(hop), msg)
  })
}

export function queue(t: TreeCore, destination: string, msg: Outgoing): void {
  t.routed.queued += msg.kind === KIND.route ? 1 : 0
  t.outbox.enqueue(destination, { kind: msg.kind, body: msg.body!, bodyType: msg.bodyType ?? BodyType.json, queuedAt: t.deps.clock.now() })
}

/** A neighbour at `to.position` answered or was (re)assigned: hand it what waited for that position. */
export function flushPosition(t: TreeCore, to: Placed): void {
  if (t.outbox.depth === 0) return // the usual case, without building the key
  const destination = positionDestination(to.position)
  if (t.outbox.depthOf(destination) === 0) return
  for (const item of t.outbox.take(destination)) redeliver(t, item, to)
}

/** A node joined or came back: route what waited for it. */
export function flushNode(t: TreeCore, member: Member): void {
  if (t.outbox.depth === 0) return
  const destination = nodeDestination(member.id)
  if (t.outbox.depthOf(destination) === 0) return
  for (const item of t.outbox.take(destination)) redeliver(t, item, undefined)
}

/**
 * Routed messages held for a destination that no flush will ever serve are routed again: on taking a
 * place (joined, or became root) and on every tick. That is a node id at any node but the root (only
 * the root keeps those, until the node joins; a member sends them up to it, as does a node that held
 * them while it was joining or root), a node id the root's roster now has, and a position that is not
 * (or no longer) a neighbour's: the tree was repaired or shrank around it. Queues for the neighbours'
 * positions stay until the neighbour answers.
 */
export function rerouteHeld(t: TreeCore): void {
  if (t.outbox.depth === 0 || t.state === 'joining' || t.state === 'stopped') return
  const neighbours = new Set(t.placedNeighbours().map((n) => positionDestination(n.position)))
  for (const destination of t.outbox.destinations()) {
    if (neighbours.has(destination)) continue
    if (t.state === 'root' && destination.startsWith(NODE_PREFIX) && t.roster?.positionOf(destination.slice(NODE_PREFIX.length)) === undefined) continue
    for (const item of t.outbox.take(destination)) {
      if (item.kind === KIND.route) redeliver(t, item, undefined)
      else t.outbox.enqueue(destination, item) // broadcast resends wait for their position
    }
  }
}

function redeliver(t: TreeCore, item: QueuedMessage, to: Placed | undefined): void {
  const incoming = { kind: item.kind, body: item.body, bodyType: item.bodyType } as Incoming
  if (item.kind === KIND.route) return routeMessage(t, t.codecs.route.decode(incoming))
  if (item.kind === KIND.bcast && to) {
    t.send(to, { kind: item.kind, body: item.body, bodyType: item.bodyType }, (error) => {
      if (error) queue(t, positionDestination(to.position), { kind: item.kind, body: item.body, bodyType: item.bodyType })
    })
  }
}
