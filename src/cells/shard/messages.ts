/**
 * The shard cell's messages (docs/protocol.md §9). Chunks travel as binary
 * bodies, so the envelope's signed body hash is the chunk's name and nothing
 * is hashed twice; everything else is JSON.
 */
import { bytesToHex } from '../../core/bytes.js'
import { sha256 } from '../../core/crypto/hash.js'
import type { Incoming } from '../../core/wire/message.js'

export const SHARD_KIND = {
  members: 'shard.members',
  chunkPut: 'shard.chunk.put',
  chunkGet: 'shard.chunk.get',
  chunkHas: 'shard.chunk.has',
  chunkFetch: 'shard.chunk.fetch',
  /** A reader got bytes that do not match the chunk's name: the holder hashes its copy again. */
  chunkCorrupt: 'shard.chunk.corrupt',
  /** Receptor only, from the node's own key: keep every chunk of a file here. */
  pin: 'shard.pin',
  unpin: 'shard.unpin',
} as const

/** At most this many hashes per `shard.chunk.has`. */
export const MAX_HAS = 1024

/** Most replicas a file may ask for; a holder accepts chunks it ranks within this (plus slack) for. */
export const MAX_REPLICAS = 8

/** Name of the chunk a message carries: its verified body hash. */
export function bodyName(m: Incoming): string {
  return bytesToHex(m.bodyHash ?? sha256(m.body))
}

export { readObject } from '../../core/wire/message.js'
