/**
 * A deputy keeps a replica of the root's roster: a snapshot, or a delta of
 * roster operations on top of the epoch it last acknowledged. A joiner whose
 * first sync overtakes its assignment takes the snapshot the root itself sent
 * when that snapshot places it among the deputies.
 */
import type { Responder } from '../wire/transport.js'
import type { SyncRequest } from './messages.js'
import { TREE_CODECS } from './codec.js'
import type { TreeCore } from './core.js'
import { Roster } from './roster.js'
import { PartsInTransit } from './snapshot-parts.js'
import { compareEpoch } from './types.js'

const SYNC_OK = TREE_CODECS.syncReply.encode({ ok: true })
const SYNC_NOT_OK = TREE_CODECS.syncReply.encode({ ok: false })

/** A sync from the root (sender-rules.ts checked the sender: the root, a certified new root, or the root that queued this joiner). */
/** A deputy keeps its root's chain and its own deputy certificate: it needs both to promote a new root. */
function keepCertificates(t: TreeCore, s: SyncRequest, from: string): void {
  t.chain = s.chain
  t.deputyCert = s.deputyCert?.root === from && s.deputyCert.term === s.epoch.term ? s.deputyCert : undefined
}

export function onSync(t: TreeCore, sync: SyncRequest, r: Responder | undefined, from: string): void {
  let s = sync
  if (s.part) {
    // A snapshot in parts: the first must be one this node would take whole; the rest follow it in order.
    const [index, count] = s.part
    if (index === 0) t.snapshotParts = takesSnapshot(t, s, from) ? new PartsInTransit(from, s.treeId, s.epoch, count) : undefined
    const p = t.snapshotParts
    if (!p || !p.matches(from, s.treeId, s.epoch, count) || p.received !== index || !p.add(index, s.snapshot!)) {
      t.snapshotParts = undefined
      return r?.reply(SYNC_NOT_OK)
    }
    if (!p.complete) return r?.reply(SYNC_OK)
    t.snapshotParts = undefined
    s = { ...s, snapshot: p.whole(), part: undefined }
  }
  const view = t.view
  if (isDeputyToBe(t, s, from)) {
    t.roster = Roster.fromSnapshot(s.treeId, s.epoch, s.maxChildren, t.config.deputies, s.snapshot!, t.canon)
    keepCertificates(t, s, from)
    return r?.reply(SYNC_OK)
  }
  if (!view || view.treeId !== s.treeId || !fromItsRoot(t, s, from)) {
    return r?.reply(SYNC_NOT_OK)
  }
  if (s.snapshot) {
    t.roster = Roster.fromSnapshot(s.treeId, s.epoch, s.maxChildren, t.config.deputies, s.snapshot, t.canon)
    keepCertificates(t, s, from)
    return r?.reply(SYNC_OK)
  }
  const replica = t.roster
  if (!replica || !s.base || compareEpoch(replica.epoch, s.base) !== 0 || !s.ops) return r?.reply(SYNC_NOT_OK)
  for (const op of s.ops) replica.apply(op)
  replica.epoch = s.epoch
  r?.reply(SYNC_OK)
}

/**
 * The first sync of a new deputy can overtake its assignment: a joiner takes a snapshot that the
 * root itself sends and that places the joiner among the deputies (its assignment follows).
 */
function isDeputyToBe(t: TreeCore, s: SyncRequest, from: string): boolean {
  return !t.view && t.state === 'joining' && !!s.snapshot && s.snapshot[0]?.id === from && s.snapshot.slice(1, 1 + t.config.deputies).some((m) => m.id === t.self.id)
}

/** The sender is the root this node knows, or the sync is of a newer term (sender-rules checked its chain). */
function fromItsRoot(t: TreeCore, s: SyncRequest, from: string): boolean {
  const knownRoot = t.info?.root.id ?? t.view?.root.id
  return from === knownRoot || (!!t.info && s.epoch.term > t.info.epoch.term)
}

/** Whether this node would take `s` (a snapshot) as it stands: the test its first part passes. */
function takesSnapshot(t: TreeCore, s: SyncRequest, from: string): boolean {
  return isDeputyToBe(t, s, from) || (!!t.view && t.view.treeId === s.treeId && fromItsRoot(t, s, from))
}
