/**
 * Replacing the root. When the root goes silent, the lowest live deputy
 * promotes the last node of its replica (probing it first; a dead last node is
 * dropped and the next one tried) to position 1 under a new term. A root that
 * leaves gracefully hands its roster to the last node the same way, without the
 * wait. The promoted node becomes root, tells everyone whose links changed, and
 * sweeps the tree to find any other casualty at once.
 */
import type { BorgError } from '../errors.js'
import type { Promote } from './messages.js'
import { TREE_CODECS } from './codec.js'
import { extendChain } from './origin.js'
import type { TreeCore } from './core.js'
import { childrenOf, parentOf } from './position.js'
import { sweep } from './repair.js'
import { PROBE, anyAlive } from './root-finder.js'
import { Roster } from './roster.js'
import { PartsInTransit, partsOf } from './snapshot-parts.js'
import { commit } from './sequencer.js'
import { compareEpoch, type Member, type View } from './types.js'

/** A deputy whose parent (the root) went silent: the lowest live deputy replaces the root. */
export function considerFailover(t: TreeCore, view: View): void {
  if (t.failoverInFlight || !t.roster) return
  t.failoverInFlight = true
  const lower = (t.info?.deputies ?? view.deputies).filter((d) => d.position < view.position && d.id !== t.self.id)
  anyAlive(t, view.treeId, lower, (alive) => {
    if (alive || t.view !== view || t.state !== 'member') {
      t.failoverInFlight = false
      return
    }
    promoteLast(t, view, 0)
  })
}

function promoteLast(t: TreeCore, view: View, attempt: number): void {
  const replica = t.roster
  if (!replica || attempt > 16 || replica.size < 2) {
    t.failoverInFlight = false
    return
  }
  const size = replica.size
  const last = replica.at(size)!
  const promote = () => {
    const snapshot = replica.snapshot()
    snapshot.pop()
    snapshot[0] = last
    const epoch = { term: Math.max(replica.epoch.term, t.info?.epoch.term ?? 0) + 1, seq: 0 }
    t.events.failovers++
    t.log.info(`root of tree ${replica.treeId.slice(0, 8)} is gone: promoting the last node (position ${size}) to root, term ${epoch.term}`)
    const chain = extendChain(t.deps.notary, t.self.id, replica.treeId, t.chain, epoch.term, last.id, t.deputyCert)
    const body = { treeId: replica.treeId, epoch, snapshot, chain }
    if (last.id === t.self.id) onPromoteBody(t, body)
    else sendPromote(t, last, body)
    t.after(t.config.requestTimeoutMs * 2, () => (t.failoverInFlight = false))
  }
  if (last.id === t.self.id) return promote()
  t.request(last, PROBE, (error) => {
    if (t.view !== view) {
      t.failoverInFlight = false
      return
    }
    if (!error) return promote()
    replica.apply({ op: 'truncate', size: size - 1 }) // the last node is gone too
    promoteLast(t, view, attempt + 1)
  })
}

/** A promotion from a deputy or the leaving root (sender-rules.ts checked who sent it and its certificate). */
export function onPromote(t: TreeCore, promote: Promote, from: string): void {
  const known = t.info ?? t.view
  if (known && known.treeId === promote.treeId && compareEpoch(promote.epoch, known.epoch) <= 0) return // stale promote
  const body = promote.part ? assemble(t, promote, from) : promote
  if (body) onPromoteBody(t, body)
}

/** One part of a promotion in parts: the whole promotion once every part of it is here. */
function assemble(t: TreeCore, p: Promote, from: string): Promote | undefined {
  const [index, count] = p.part!
  let parts = t.promoteParts
  if (!parts?.matches(from, p.treeId, p.epoch, count)) parts = t.promoteParts = new PartsInTransit(from, p.treeId, p.epoch, count)
  if (!parts.add(index, p.snapshot) || !parts.complete) return undefined
  t.promoteParts = undefined
  return { ...p, snapshot: parts.whole(), part: undefined }
}

function onPromoteBody(t: TreeCore, body: Promote): void {
  if (body.snapshot[0]?.id !== t.self.id) return
  const oldPosition = t.view?.position
  t.transitions.leaveRootDuties(t)
  t.roster = Roster.fromSnapshot(body.treeId, body.epoch, t.config.maxChildren, t.config.deputies, body.snapshot, t.canon)
  t.transitions.becomeRoot(t)
  t.chain = body.chain
  t.deputyCert = undefined
  // Everyone whose links changed: the new root's children, and the parent of the position it left.
  const m = t.config.maxChildren
  const affected = childrenOf(1, m, t.roster.size)
  if (oldPosition && oldPosition > 1) affected.push(parentOf(oldPosition, m))
  commit(t, [], affected)
  // The old root may not have been the only casualty: find out who else is gone, at once.
  sweep(t)
}

/** The root leaves: the last node fills position 1 (as in a failover, without the wait). */
export function rootLeave(t: TreeCore, done?: (error: BorgError | null) => void): void {
  const roster = t.roster!
  if (roster.size === 1) {
    t.transitions.stop(t)
    return done?.(null)
  }
  const last = roster.at(roster.size)!
  const snapshot = roster.snapshot()
  snapshot.pop()
  snapshot[0] = last
  const epoch = { term: roster.epoch.term + 1, seq: 0 }
  const chain = extendChain(t.deps.notary, t.self.id, roster.treeId, t.chain, epoch.term, last.id)
  // Stop at once: a root that goes on committing (a member's leave arriving meanwhile) would hand out
  // views of its old term that its successor knows nothing of.
  t.transitions.stop(t)
  sendPromote(t, last, { treeId: roster.treeId, epoch, snapshot, chain }, (error) => done?.(error))
}

/**
 * A promotion whose snapshot is more than snapshotPartMembers goes in parts, all at once (the receiver
 * puts them together in any order; a lost one fails this promotion, which the promoter tries again).
 * `done` hears once: after the last part, with the first error.
 */
function sendPromote(t: TreeCore, to: Member, body: Promote, done?: (error: BorgError | null) => void): void {
  const size = t.config.snapshotPartMembers
  if (body.snapshot.length <= size) return t.send(to, TREE_CODECS.promote.encode(body), done)
  const parts = partsOf(body.snapshot, size)
  let pending = parts.length
  let first: BorgError | null = null
  for (const [index, snapshot] of parts.entries()) {
    const part: Promote = { ...body, snapshot, part: [index, parts.length] }
    t.send(to, TREE_CODECS.promote.encode(part), (error) => {
      first ??= error
      if (--pending === 0) done?.(first)
    })
  }
}
