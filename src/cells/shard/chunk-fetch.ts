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
import { chunkFromReply } from '../../core/storage/chunk-reply.js'
import { isSha256Hex } from '../../core/storage/names.js'
import { MAX_CHUNK_SIZE } from '../../core/storage/chunking.js'
import { pullWindow } from '../../core/stream/pull-window.js'
import type { Member } from '../../core/tree/types.js'
import { jsonMessage } from '../../core/wire/message.js'
import { request, type Transport } from '../../core/wire/transport.js'
import { SHARD_KIND } from './messages.js'

/** Chunks per fetch request (a request's reply waits for all of them). */
export const MAX_FETCH = 64
/** Chunks pulled at once by one fetch. */
const FETCH_WINDOW = 8

export interface FetchItem {
  hash: string
  length: number
  /** Holders to pull from, best first. */
  from: Member[]
}

export interface FetchOutcome {
  stored: string[]
  failed: { hash: string; error: string }[]
}

/** A `shard.chunk.fetch` body, checked field by field. */
export function parseFetch(body: unknown): FetchItem[] {
  const chunks = (body as { chunks?: unknown } | null)?.chunks
  if (!Array.isArray(chunks) || chunks.length === 0 || chunks.length > MAX_FETCH) throw new BorgError('invalid-input', `chunks must be an array of 1 to ${MAX_FETCH} items`)
  return chunks.map((c: unknown, i) => {
    const item = c as Partial<Record<keyof FetchItem, unknown>> | null
    const bad = (what: string) => new BorgError('invalid-input', `chunks[${i}]: ${what}`)
    if (!item || !isSha256Hex(item.hash)) throw bad('hash must be 64 lower-case hex digits')
    if (!(typeof item.length === 'number' && Number.isSafeInteger(item.length) && item.length >= 1 && item.length <= MAX_CHUNK_SIZE + 16)) throw bad('length out of range')
    if (!Array.isArray(item.from) || item.from.length === 0 || item.from.length > 16) throw bad('from must list 1 to 16 holders')
    const from = item.from.map((m: unknown) => {
      const member = m as Partial<Member> | null
      if (!member || typeof member.id !== 'string' || typeof member.endpoint !== 'string') throw bad('a holder must be {id, endpoint}')
      return { id: member.id, endpoint: member.endpoint }
    })
    return { hash: item.hash, length: item.length, from }
  })
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
        return chunkFromReply(await request(transport, holder, jsonMessage(SHARD_KIND.chunkGet, { hash }), timeoutMs), hash, length)
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
