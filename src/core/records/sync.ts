/**
 * One reconciliation of a collection with a peer (docs/records.md): the
 * client runs Negentropy over its set's (created, id) items, then fetches
 * what it lacks and pushes what the peer lacks, in batches. The transport is
 * injected (`SyncPeer`), so the same code runs over signed HTTPS and in
 * tests; the server's side is `answerReconcile`.
 */
import { bytesToHex } from '../bytes.js'
import { Negentropy, type SortedItems } from './negentropy.js'
import type { RecordSet } from './record-set.js'

/** What one side reconciles: its (timestamp, id) items and the bytes of each (a RecordSet; a mailbox, src/cells/mail/). */
export interface Reconcilable {
  readonly items: SortedItems
  readonly policy: { readonly name: string }
  get(id: string): { bytes: Uint8Array } | undefined
}

/** Most records (or ids) per fetch or push message. */
export const SYNC_BATCH = 100
/** Negentropy frame limit: a message stays well inside one envelope. */
export const FRAME_LIMIT = 60_000
/** Most round trips one reconciliation may take (each halves what is left at least 16-fold). */
export const MAX_ROUND_TRIPS = 64

export interface SyncPeer {
  /** One negentropy message to the peer for this collection; its reply. */
  reconcile(message: Uint8Array): Promise<Uint8Array>
  /** The records with these ids the peer holds (it may skip some: expired meanwhile). */
  fetch(ids: Uint8Array[]): Promise<Uint8Array[]>
  /** Records for the peer to check and store. */
  push(records: Uint8Array[]): Promise<void>
}

export interface SyncStats {
  roundTrips: number
  /** Negentropy bytes both ways (the reconciliation itself). */
  reconcileBytes: number
  fetched: number
  pushed: number
  /** Fetched records this node refused (invalid, expired, blocked, over quota). */
  refused: number
}

/** The server's answer to one negentropy message (stateless: each message stands alone). */
export function answerReconcile(set: Pick<Reconcilable, 'items'>, message: Uint8Array): Uint8Array {
  return new Negentropy(set.items, FRAME_LIMIT).reconcile(message).message!
}

/**
 * `accept`: how fetched records are taken (checked and stored, durably for a node); returns how many
 * it refused. By default they are offered to `set` at `now()`.
 */
export async function syncWith(
  set: Reconcilable & Partial<Pick<RecordSet, 'offer'>>,
  peer: SyncPeer,
  now: () => number,
  options: { push?: boolean; accept?: (records: Uint8Array[]) => Promise<number> } = {},
): Promise<SyncStats> {
  const stats: SyncStats = { roundTrips: 0, reconcileBytes: 0, fetched: 0, pushed: 0, refused: 0 }
  const accept =
    options.accept ??
    (async (records: Uint8Array[]) => {
      let refused = 0
      for (const bytes of records) {
        try {
          if (!set.offer) throw new Error('no way to take records: pass accept')
          set.offer(bytes, now())
        } catch {
          refused++
        }
      }
      return refused
    })
  const negentropy = new Negentropy(set.items, FRAME_LIMIT)
  const have: Uint8Array[] = []
  const need: Uint8Array[] = []
  let message: Uint8Array | undefined = negentropy.initiate()
  while (message) {
    if (stats.roundTrips >= MAX_ROUND_TRIPS) throw new Error(`reconciliation of ${set.policy.name} took more than ${MAX_ROUND_TRIPS} round trips`)
    const reply = await peer.reconcile(message)
    stats.roundTrips++
    stats.reconcileBytes += message.length + reply.length
    const r = negentropy.reconcile(reply)
    have.push(...r.have)
    need.push(...r.need)
    message = r.message
  }
  for (let i = 0; i < need.length; i += SYNC_BATCH) {
    const records = await peer.fetch(need.slice(i, i + SYNC_BATCH))
    stats.fetched += records.length
    stats.refused += await accept(records)
  }
  if (options.push !== false) {
    const records = have.map((id) => set.get(bytesToHex(id))?.bytes).filter((b): b is Uint8Array => b !== undefined)
    for (let i = 0; i < records.length; i += SYNC_BATCH) {
      const batch = records.slice(i, i + SYNC_BATCH)
      await peer.push(batch)
      stats.pushed += batch.length
    }
  }
  return stats
}
