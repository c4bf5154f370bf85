/**
 * The shard cell's messages (docs/protocol.md §9.5) and their codecs. Chunks
 * travel as binary bodies, so the envelope's signed body hash is the chunk's
 * name and nothing is hashed twice; manifests (`shard.pin`) travel as the
 * signed envelope's bytes; everything else is JSON.
 */
import { bytesToHex } from '../../core/bytes.js'
import { bool, int, list, literal, refusedAs, sha256Hex } from '../../core/codec/checks.js'
import { binaryCodec, codecTable, partsCodec, shapeCodec, type ValueOf } from '../../core/codec/codec.js'
import { sha256 } from '../../core/crypto/hash.js'
import { AUDIT_CODECS, CHUNK_FETCH_KIND, CHUNK_HAS_KIND, chunkFailure } from '../../core/storage/audit-messages.js'
import { chunkFromReply } from '../../core/storage/chunk-reply.js'
import { membersCodecs } from '../../core/tree/member-list.js'
import type { Incoming } from '../../core/wire/message.js'

export const SHARD_KIND = {
  members: 'shard.members',
  chunkPut: 'shard.chunk.put',
  chunkGet: 'shard.chunk.get',
  /** Many chunks in one signed exchange (body type parts): the bulk path of put and get. */
  chunksPut: 'shard.chunks.put',
  chunksGet: 'shard.chunks.get',
  chunkHas: CHUNK_HAS_KIND,
  chunkFetch: CHUNK_FETCH_KIND,
  /** A reader got bytes that do not match the chunk's name: the holder hashes its copy again. */
  chunkCorrupt: 'shard.chunk.corrupt',
  /** Receptor only, from the node's own key: keep every chunk of a file here. */
  pin: 'shard.pin',
  unpin: 'shard.unpin',
} as const

/** Chunks per `shard.chunks.put` / `shard.chunks.get`. */
export const MAX_BATCH_CHUNKS = 64
/** A holder puts at most this many chunk bytes in one `shard.chunks.get.reply`; the rest of the request is left for the next. */
export const MAX_BATCH_REPLY_BYTES = 32 * 1024 * 1024
/** What a holder did with each chunk of a `shard.chunks.put`, in order. */
export const PUT_OUTCOMES = ['stored', 'exists', 'refused', 'full'] as const

/** Most replicas a file may ask for; a holder accepts chunks it ranks within this (plus slack) for. */
export const MAX_REPLICAS = 8

const members = membersCodecs(SHARD_KIND.members)

/** Every kind the shard cell answers, requests and replies (`shard.chunk.has`/`.fetch` shared with the file managers). */
export const SHARD_CODECS = codecTable({
  members: members.request,
  membersReply: members.reply,
  /** The chunk; the sender sets the envelope's body hash to its name. */
  chunkPut: binaryCodec(SHARD_KIND.chunkPut),
  chunkPutReply: shapeCodec(`${SHARD_KIND.chunkPut}.reply`, { hash: sha256Hex, stored: bool, freeBytes: int() }),
  chunkGet: shapeCodec(SHARD_KIND.chunkGet, { hash: sha256Hex }),
  /** The chunk, read with chunkOfReply. */
  chunkGetReply: binaryCodec(`${SHARD_KIND.chunkGet}.reply`),
  /** Chunks, each named by its hash in the signed index. */
  chunksPut: partsCodec(SHARD_KIND.chunksPut, {}, MAX_BATCH_CHUNKS),
  /** One outcome per chunk, in order: `refused` (not a chosen holder here), `full` (no room). */
  chunksPutReply: shapeCodec(`${SHARD_KIND.chunksPut}.reply`, { results: list(literal(...PUT_OUTCOMES), MAX_BATCH_CHUNKS), freeBytes: int() }),
  chunksGet: shapeCodec(SHARD_KIND.chunksGet, { hashes: refusedAs('invalid-input', list(sha256Hex, MAX_BATCH_CHUNKS, 1)) }),
  /** The chunks this holder has, in request order; `absent`: indexes into the request it does not have. Neither: ask again. */
  chunksGetReply: partsCodec(`${SHARD_KIND.chunksGet}.reply`, { absent: list(int(0, MAX_BATCH_CHUNKS - 1), MAX_BATCH_CHUNKS) }, MAX_BATCH_CHUNKS),
  ...AUDIT_CODECS,
  chunkCorrupt: shapeCodec(SHARD_KIND.chunkCorrupt, { hash: sha256Hex }),
  chunkCorruptReply: shapeCodec(`${SHARD_KIND.chunkCorrupt}.reply`, { hash: sha256Hex, held: bool, dropped: bool }),
  /** The file's signed manifest. */
  pin: binaryCodec(SHARD_KIND.pin),
  pinReply: shapeCodec(`${SHARD_KIND.pin}.reply`, { id: sha256Hex, chunks: int(), had: int(), fetched: int(), missing: int(), failed: list(chunkFailure, 5) }),
  unpin: shapeCodec(SHARD_KIND.unpin, { id: sha256Hex }),
  unpinReply: shapeCodec(`${SHARD_KIND.unpin}.reply`, { id: sha256Hex, unpinned: bool }),
})

export type PinReply = ValueOf<typeof SHARD_CODECS.pinReply>

/** Name of the chunk a message carries: its verified body hash. */
export function bodyName(m: Incoming): string {
  return bytesToHex(m.bodyHash ?? sha256(m.body))
}

/** The chunk a `shard.chunk.get.reply` carries, checked to be chunk `hash` of `length` bytes. */
export function chunkOfReply(reply: Incoming, hash: string, length: number): Uint8Array {
  return chunkFromReply({ body: SHARD_CODECS.chunkGetReply.decode(reply), bodyHash: reply.bodyHash }, hash, length)
}
