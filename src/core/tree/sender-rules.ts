/**
 * Who may send each tree message, checked against this node's own view before
 * any role handles it (docs/protocol.md §6.4 has the table). The transport has
 * already verified the envelope's signature, so `from` is the sender's key;
 * what is checked here is whether that key holds the role the message needs
 * (root, deputy, parent or child) in this node's view of its tree, and for
 * messages that travel further than one hop, who started them (origin.ts).
 * Each check returns why the sender may not send this, or undefined.
 */
import { KIND, type Assign, type Broadcast, type MergeHint, type Promote, type Route, type Suspect, type SyncRequest, type TermCert } from './messages.js'
import type { TreeCore } from './core.js'
import { dissolveBody } from './flood.js'
import { broadcastSignedBytes, refuseChain, routeSignedBytes, signedBy } from './origin.js'
import { childrenOf, parentOf } from './position.js'

/** Kind → who may send it: the text of docs/protocol.md §6.4 (test/docs checks they agree). */
export const TREE_SENDERS = {
  'tree.join': 'anyone, for itself',
  'tree.hb': 'anyone; only the child at the claimed position changes anything',
  'tree.probe': 'anyone',
  'tree.whois': 'anyone',
  'tree.whereami': 'anyone, for itself',
  'tree.shuffle': "anyone; a stranger's contacts are not kept",
  'tree.sync': 'the root; a new root with a term certificate',
  'tree.leave': 'anyone, for itself',
  'tree.assign': 'the root; a new root with a term certificate',
  'tree.suspect': 'a member, about its parent or a child',
  'tree.promote': 'a deputy or the root, with a term certificate',
  'tree.merge': 'the root of another tree, for itself',
  'tree.bcast': "a parent or child, with the origin's signature",
  'tree.route': "a parent or child, with the origin's signature",
} as const

/** How far a broadcast's origin time may be from this node's: older ones are forgotten anyway, so a replay could be delivered twice. */
export function broadcastAgeLimitMs(t: TreeCore): number {
  return t.config.broadcastMemoryMs
}

/** The root of this node's tree as it knows it, and that root's term. */
export function knownRoot(t: TreeCore): { id: string; term: number; treeId: string } | undefined {
  const { info, view } = t
  if (info && (!view || info.treeId === view.treeId)) return { id: info.root.id, term: info.epoch.term, treeId: info.treeId }
  if (view) return { id: view.root.id, term: view.epoch.term, treeId: view.treeId }
  return undefined
}

/** The deputies of `treeId` this node knows of (its info, its view, its replica of the roster). */
function knownDeputies(t: TreeCore, treeId: string): Set<string> {
  const ids = new Set<string>()
  if (t.info?.treeId === treeId) for (const d of t.info.deputies) ids.add(d.id)
  if (t.view?.treeId === treeId) for (const d of t.view.deputies) ids.add(d.id)
  if (t.roster?.treeId === treeId) for (const d of t.roster.deputies()) ids.add(d.id)
  return ids
}

function isNeighbour(t: TreeCore, id: string): boolean {
  const view = t.view
  if (!view) return false
  if (view.parent?.id === id) return true
  for (const c of view.children) if (c.id === id) return true
  return false
}

/** A chain of term certificates from the root this node knows to `root` at `term`. */
export function refuseTerm(t: TreeCore, treeId: string, chain: readonly TermCert[] | undefined, root: string, term: number): string | undefined {
  const known = knownRoot(t)
  if (!known || known.treeId !== treeId) return 'not from the tree this node is in'
  return refuseChain(t.deps.notary, treeId, { root: known.id, term: known.term, deputies: knownDeputies(t, treeId) }, chain, root, term)
}

/** A root's claim over this node: its known root, or a root of a later term backed by a chain of certificates. */
function refuseRootClaim(t: TreeCore, from: string, treeId: string, term: number, chain: readonly TermCert[] | undefined): string | undefined {
  const known = knownRoot(t)
  if (!known || known.treeId !== treeId) return 'not from the tree this node is in'
  if (from === known.id && term <= known.term) return undefined
  if (term > known.term) return refuseTerm(t, treeId, chain, from, term)
  return 'not the root of this tree as this node knows it'
}

export function refuseAssign(t: TreeCore, from: string, a: Assign): string | undefined {
  if (a.view.root.id !== from) return 'an assignment must come from the root it names'
  if (t.state === 'joining') return t.join.queuedBy(from) ? undefined : 'not a root this node asked to join'
  return refuseRootClaim(t, from, a.view.treeId, a.view.epoch.term, a.chain)
}

export function refuseSync(t: TreeCore, from: string, s: SyncRequest): string | undefined {
  if (!t.view) {
    // A new deputy's first snapshot can overtake its assignment: only from the root that queued it.
    return t.state === 'joining' && t.join.queuedBy(from) && s.snapshot?.[0]?.id === from ? undefined : 'not a root this node asked to join'
  }
  if (t.view.treeId !== s.treeId) return undefined // not in that tree (any more): answered ok:false
  return refuseRootClaim(t, from, s.treeId, s.epoch.term, s.chain)
}

export function refusePromote(t: TreeCore, from: string, p: Promote): string | undefined {
  const known = knownRoot(t)
  if (!known || known.treeId !== p.treeId) return 'a promotion in a tree this node is not in'
  // Part 0 of a snapshot in parts begins with the new root; refuseTerm checks every part's chain names this node.
  if ((p.part?.[0] ?? 0) === 0 && p.snapshot[0]?.id !== t.self.id) return 'a promotion of another node'
  if (p.chain[p.chain.length - 1]!.by !== from) return 'the last term certificate is not the promoter’s'
  return refuseTerm(t, p.treeId, p.chain, t.self.id, p.epoch.term)
}

export function refuseSuspect(t: TreeCore, from: string, s: Suspect): string | undefined {
  const roster = t.roster
  if (t.state !== 'root' || !roster || roster.treeId !== s.treeId) return undefined // not for us to judge: ignored
  const position = roster.positionOf(from)
  if (position === undefined) return 'only a member may report a suspect'
  const m = t.config.maxChildren
  const adjacent = (position > 1 && parentOf(position, m) === s.position) || childrenOf(position, m, roster.size).includes(s.position)
  return adjacent ? undefined : 'a member may only report its parent or a child'
}

export function refuseMerge(_t: TreeCore, from: string, hint: MergeHint): string | undefined {
  return hint.root.id === from ? undefined : 'a merge hint only for the sender’s own tree'
}

export function refuseBroadcast(t: TreeCore, from: string, b: Broadcast): string | undefined {
  if (!isNeighbour(t, from)) return 'not a tree neighbour'
  if (!signedBy(t.deps.notary, b.origin, broadcastSignedBytes(b), b.sig)) return 'bad origin signature'
  if (Math.abs(t.deps.clock.now() - b.at) > broadcastAgeLimitMs(t)) return 'a broadcast older than this node remembers'
  if (b.kind === KIND.dissolve) {
    const dissolve = dissolveBody(t, b)
    if (!dissolve || dissolve.treeId !== b.treeId) return 'a dissolve of another tree'
    const known = knownRoot(t)
    if (!known || known.treeId !== b.treeId) return 'a dissolve of a tree this node is not in'
    // Its root, or (this node missed a failover) a root of a later term with the certificates to show for it.
    if (b.origin !== known.id && (dissolve.term <= known.term || refuseTerm(t, b.treeId, dissolve.chain, b.origin, dissolve.term))) return 'only the root may dissolve its tree'
  }
  return undefined
}

export function refuseRoute(t: TreeCore, from: string, r: Route): string | undefined {
  if (!isNeighbour(t, from)) return 'not a tree neighbour'
  if (!signedBy(t.deps.notary, r.src.id, routeSignedBytes(r), r.sig)) return 'bad origin signature'
  return undefined
}
