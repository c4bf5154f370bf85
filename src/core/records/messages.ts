/**
 * Record sync messages (docs/protocol.md §12.3): node-wide kinds every
 * envelope port answers. Records and negentropy messages travel as the
 * lower-case hex of their bytes.
 */
import { bool, hex, int, list, literal, nodeId, object, optional, text } from '../codec/checks.js'
import { codecTable, emptyCodec, shapeCodec, type ValueOf } from '../codec/codec.js'
import { MAX_CONTENT_BYTES } from './record.js'
import { FRAME_LIMIT, SYNC_BATCH } from './sync.js'

export const RECORDS_KIND = {
  reconcile: 'records.reconcile',
  fetch: 'records.fetch',
  push: 'records.push',
  list: 'records.list',
  collections: 'records.collections',
  /** Control: reconcile now with a given peer (this node's own key only, on a receptor). */
  sync: 'records.sync',
} as const

/** Records per `records.list` reply. */
export const MAX_LIST = 500
const collection = text({ max: 64, pattern: /^[a-z0-9][a-z0-9._-]*$/, describe: 'a collection name (a-z 0-9 . _ -)' })
const recordHex = text({ max: 2 * (MAX_CONTENT_BYTES + 300), min: 2, pattern: /^(?:[0-9a-f]{2})+$/, describe: 'a record in lower-case hex' })
const negentropyHex = text({ max: 2 * FRAME_LIMIT, min: 2, pattern: /^(?:[0-9a-f]{2})+$/, describe: 'a negentropy message in lower-case hex' })
const refusal = { code: optional(text({ max: 64 })), error: optional(text({ max: 1024 })) }

export const RECORDS_CODECS = codecTable({
  /** One negentropy v1 message for `collection`; the reply is the answer (§12.2). */
  reconcile: shapeCodec(RECORDS_KIND.reconcile, { collection, message: negentropyHex }),
  reconcileReply: shapeCodec(`${RECORDS_KIND.reconcile}.reply`, { message: negentropyHex }),
  /** Records by id; the reply holds those this node has (in any order). */
  fetch: shapeCodec(RECORDS_KIND.fetch, { collection, ids: list(hex(32), SYNC_BATCH, 1) }),
  fetchReply: shapeCodec(`${RECORDS_KIND.fetch}.reply`, { records: list(recordHex, SYNC_BATCH) }),
  /** Records to check and store; one result per record, in order. */
  push: shapeCodec(RECORDS_KIND.push, { collection, records: list(recordHex, SYNC_BATCH, 1) }),
  pushReply: shapeCodec(`${RECORDS_KIND.push}.reply`, { results: list(object({ outcome: literal('stored', 'known', 'refused'), id: optional(hex(32)), ...refusal }), SYNC_BATCH) }),
  /** Records of a collection this node holds, oldest first, from a creation time (seconds) and of one author. */
  list: shapeCodec(RECORDS_KIND.list, { collection, author: optional(nodeId), since: optional(int()), after: optional(hex(32)), limit: optional(int(1, MAX_LIST)), deletions: optional(bool) }),
  listReply: shapeCodec(`${RECORDS_KIND.list}.reply`, { records: list(recordHex, MAX_LIST), more: bool }),
  /** The collections this node holds, with their sizes. */
  collections: emptyCodec(RECORDS_KIND.collections),
  collectionsReply: shapeCodec(`${RECORDS_KIND.collections}.reply`, { collections: list(object({ name: collection, records: int(), retentionSeconds: int() }), 256) }),
  sync: shapeCodec(RECORDS_KIND.sync, { peer: text({ max: 300 }), collection: optional(collection) }),
  syncReply: shapeCodec(`${RECORDS_KIND.sync}.reply`, {
    reports: list(object({ collection, peer: text({ max: 300 }), roundTrips: int(), reconcileBytes: int(), fetched: int(), pushed: int(), refused: int() }), 64),
    errors: list(object({ collection, code: text({ max: 64 }), error: text({ max: 1024 }) }), 64),
  }),
})

export type PushResult = ValueOf<typeof RECORDS_CODECS.pushReply>['results'][number]
