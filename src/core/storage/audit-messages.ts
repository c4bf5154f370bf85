/**
 * The shard kinds a file manager's audit sends and a shard cell answers
 * (docs/protocol.md §9.5, §9.6): `shard.chunk.has` (which chunks are here,
 * leases renewed) and `shard.chunk.fetch` (pull these from their holders).
 * Both cells speak them and cells import no other cell, so their codecs live
 * here; the shard cell's table (SHARD_CODECS) holds them.
 */
import { bool, int, list, object, optional, refusedAs, sha256Hex, text, type Infer } from '../codec/checks.js'
import { codecTable, jsonCodec, shapeCodec } from '../codec/codec.js'
import { MAX_CHUNK_SIZE } from './chunking.js'
import { TAG_BYTES } from './file-crypto.js'

export const CHUNK_HAS_KIND = 'shard.chunk.has'
export const CHUNK_FETCH_KIND = 'shard.chunk.fetch'

/** At most this many hashes per `shard.chunk.has`. */
export const MAX_HAS = 1024
/** Chunks per `shard.chunk.fetch` (its reply waits for all of them). */
export const MAX_FETCH = 64
/** Holders named per fetched chunk. */
const MAX_HOLDERS = 16

/** Why a chunk was not stored: a holder's own error text (free-form, so only bounded). */
export const chunkFailure = object({ hash: sha256Hex, error: text({ min: 0, max: 1 << 16 }) })

const fetchItemShape = {
  hash: sha256Hex,
  /** Stored bytes: an encrypted chunk carries its tag. */
  length: int(1, MAX_CHUNK_SIZE + TAG_BYTES),
  /** Holders to pull from, best first (only their ids are used). */
  from: list(object({ id: text({ max: 130 }), endpoint: text({ max: 300 }) }), MAX_HOLDERS, 1),
}
export type FetchItem = Infer<typeof fetchItemShape>

/** A `shard.chunk.fetch` body: every refusal is `invalid-input`, as receivers have always answered. */
export const fetchRequest = refusedAs('invalid-input', object({ chunks: list(object(fetchItemShape), MAX_FETCH, 1) }))

export const AUDIT_CODECS = codecTable({
  chunkHas: shapeCodec(CHUNK_HAS_KIND, {
    hashes: refusedAs('invalid-input', list(sha256Hex, MAX_HAS)),
    /** Indexes into `hashes` whose lease is renewed. */
    touch: optional(list(int(0, MAX_HAS - 1), MAX_HAS)),
  }),
  chunkHasReply: shapeCodec(`${CHUNK_HAS_KIND}.reply`, { have: list(bool, MAX_HAS) }),
  chunkFetch: jsonCodec(CHUNK_FETCH_KIND, fetchRequest),
  chunkFetchReply: shapeCodec(`${CHUNK_FETCH_KIND}.reply`, { stored: list(sha256Hex, MAX_FETCH), failed: list(chunkFailure, MAX_FETCH), freeBytes: int() }),
})
