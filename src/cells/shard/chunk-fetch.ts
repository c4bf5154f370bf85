/**
 * Repairs as DStream pulls between shard cells: a file manager that finds a
 * chunk short of copies asks the next shard cell of its ranking to fetch it
 * (`shard.chunk.fetch`), naming the chunks (hash and length) and the holders
 * that have them. The new holder pulls them straight from those holders with
 * the pull engine (a window in flight, each checked by hash and length, the
 * next source on a retry) and stores each, so the bytes cross the network
 * once and never pass through the auditor.
 */
import { BorgError } from '../../core/errors.js'
import type { FetchItem } from '../../core/storage/audit-messages.js'
import { pullWindow } from '../../core/stream/pull-window.js'
import { request } from '../../core/messaging/requests.js'
import type { Transport } from '../../core/wire/transport.js'
import { SHARD_CODECS, chunkOfReply } from './messages.js'

/** Chunks pulled at once by one fetch. */
const FETCH_WINDOW = 8

export interface FetchOutcome {
  stored: string[]
  failed: { hash: string; error: string }[]
}

/** Pull the chunks from their holders, each from the next one on a failure; `store` keeps each verified one. Failures are reported per chunk. */
export async function fetchChunks(transport: Transport, items: FetchItem[], store: (hash: string, bytes: Uint8Array) => Promise<void>, timeoutMs = 30_000): Promise<FetchOutcome> {
  const outcome: FetchOutcome = { stored: [], failed: [] }
  await pullWindow({
    indexes: items.map((_, i) => i),
    window: FETCH_WINDOW,
    attempts: (i) => items[i]!.from.length,
    ordered: false,
    fetch: async (i, attempt) => {
      const { hash, length, from } = items[i]!
      const holder = from[attempt]!
      try {
        return chunkOfReply(await request(transport, holder, SHARD_CODECS.chunkGet.encode({ hash }), timeoutMs), hash, length)
      } catch (error) {
        throw new BorgError(error instanceof BorgError ? error.code : 'unavailable', `${holder.endpoint}: ${(error as Error).message}`)
      }
    },
    // A chunk out of sources is reported; the others carry on.
    onLost: (i, errors) => void outcome.failed.push({ hash: items[i]!.hash, error: errors.slice(-2).join('; ') }),
    deliver: async (i, bytes) => {
      const { hash } = items[i]!
      try {
        await store(hash, bytes)
        outcome.stored.push(hash)
      } catch (error) {
        outcome.failed.push({ hash, error: (error as Error).message })
      }
    },
  })
  return outcome
}
