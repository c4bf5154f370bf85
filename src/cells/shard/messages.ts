/**
 * The shard cell's messages (docs/protocol.md §10). Chunks and manifests travel
 * as binary bodies, so the envelope's signed body hash is the chunk's name and
 * nothing is hashed twice; everything else is JSON.
 */
import { BorgError } from '../../core/errors.js'
import { bytesToHex } from '../../core/bytes.js'
import { sha256 } from '../../core/crypto/hash.js'
import { readJson, type Incoming } from '../../core/wire/message.js'

export const SHARD_KIND = {
  members: 'shard.members',
  chunkPut: 'shard.chunk.put',
  chunkGet: 'shard.chunk.get',
  chunkHas: 'shard.chunk.has',
  manifestPut: 'shard.manifest.put',
  manifestGet: 'shard.manifest.get',
  manifestList: 'shard.manifest.list',
  manifestRm: 'shard.manifest.rm',
  audit: 'shard.audit',
} as const

/** At most this many hashes per `shard.chunk.has`. */
export const MAX_HAS = 1024

/** Name of the chunk a message carries: its verified body hash. */
export function bodyName(m: Incoming): string {
  return bytesToHex(m.bodyHash ?? sha256(m.body))
}

export function readObject(m: Incoming): Record<string, unknown> {
  const b = readJson(m)
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new BorgError('malformed', `${m.kind}: body is not an object`)
  return b as Record<string, unknown>
}
