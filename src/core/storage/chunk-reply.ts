/**
 * The one check every reader of a chunk makes on a reply (a holder's
 * `shard.chunk.get`, a sender's `stream.pull`): its body, already verified
 * at the edge against the signed body hash, must be the chunk named, at the
 * length the manifest or offer gives. Anything else is another chunk.
 */
import { BorgError } from '../errors.js'
import { bytesToHex } from '../bytes.js'
import { sha256 } from '../crypto/hash.js'
import type { Incoming } from '../wire/message.js'

export function chunkFromReply(reply: Pick<Incoming, 'body' | 'bodyHash'>, hash: string, length: number): Uint8Array {
  const name = bytesToHex(reply.bodyHash ?? sha256(reply.body))
  if (name !== hash || reply.body.length !== length) throw new BorgError('body-hash-mismatch', `sent other bytes for chunk ${hash.slice(0, 16)}…`)
  return reply.body
}
