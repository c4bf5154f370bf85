/**
 * Many chunks per signed exchange (docs/storage.md "Batches"): chunk puts and
 * gets addressed to one holder queue up and leave as one `shard.chunks.put`
 * or `shard.chunks.get`, whose parts are each checked against a hash in the
 * signed index. Callers still think per chunk (placement, fallbacks and
 * retries stay per chunk); only the wire is batched.
 *
 * Batching is self-clocking, as Nagle's algorithm is: a holder with fewer
 * than `inFlight` batches outstanding gets what is queued at once, so a lone
 * chunk is never held back; while its batches are in flight, chunks for it
 * gather into the next one, up to `maxChunks` and `maxBytes`. A fast holder
 * sees small batches, a busy one big ones.
 */
import { BorgError } from '../core/errors.js'
import { request } from '../core/messaging/requests.js'
import { blamedPart } from '../core/envelope/parts.js'
import type { Incoming } from '../core/wire/message.js'
import type { Peer, Transport } from '../core/wire/transport.js'
import { MAX_BATCH_CHUNKS, SHARD_CODECS } from '../cells/shard/messages.js'

export interface BatchOptions {
  /** Chunks per message (at most MAX_BATCH_CHUNKS). */
  maxChunks: number
  /** Chunk bytes per message. */
  maxBytes: number
  /** Batches outstanding per holder before chunks wait for the next one. */
  inFlight: number
  timeoutMs: number
}

export const DEFAULT_BATCHES: Omit<BatchOptions, 'timeoutMs'> = { maxChunks: 32, maxBytes: 8 * 1024 * 1024, inFlight: 2 }

interface Waiter<T> {
  resolve(value: T): void
  reject(error: unknown): void
}
interface PutItem extends Waiter<'stored' | 'exists'> {
  hash: string
  bytes: Uint8Array
}
interface GetItem extends Waiter<Uint8Array> {
  hash: string
  length: number
}

/** One holder's queue of one operation. */
class HolderQueue<I extends { length?: number; bytes?: Uint8Array }> {
  readonly waiting: I[] = []
  sending = 0
}

const sizeOf = (item: { length?: number; bytes?: Uint8Array }) => item.bytes?.length ?? item.length ?? 0

export class ChunkBatches {
  private readonly puts = new Map<string, HolderQueue<PutItem>>()
  private readonly gets = new Map<string, HolderQueue<GetItem>>()
  private readonly options: BatchOptions
  /** Messages sent, chunks in them: what the batching achieved. */
  readonly stats = { putMessages: 0, putChunks: 0, getMessages: 0, getChunks: 0 }

  constructor(
    private readonly transport: Transport,
    options: Partial<BatchOptions> & { timeoutMs: number },
  ) {
    this.options = { ...DEFAULT_BATCHES, ...options }
    if (!(this.options.maxChunks >= 1 && this.options.maxChunks <= MAX_BATCH_CHUNKS)) throw new BorgError('invalid-input', `maxChunks must be 1…${MAX_BATCH_CHUNKS}`)
  }

  /** Store chunk `hash` on `holder`: resolves once the holder has it durably, rejects with why it did not take it. */
  put(holder: Peer, hash: string, bytes: Uint8Array): Promise<'stored' | 'exists'> {
    return new Promise((resolve, reject) => {
      this.queueOf(this.puts, holder).waiting.push({ hash, bytes, resolve, reject })
      this.pump(this.puts, holder, (items) => this.sendPuts(holder, items))
    })
  }

  /** Chunk `hash` of `length` stored bytes from `holder`, checked against its name and length. */
  get(holder: Peer, hash: string, length: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      this.queueOf(this.gets, holder).waiting.push({ hash, length, resolve, reject })
      this.pump(this.gets, holder, (items) => this.sendGets(holder, items))
    })
  }

  private queueOf<I extends PutItem | GetItem>(queues: Map<string, HolderQueue<I>>, holder: Peer): HolderQueue<I> {
    const key = holder.id ?? holder.endpoint
    let queue = queues.get(key)
    if (!queue) queues.set(key, (queue = new HolderQueue<I>()))
    return queue
  }

  /** Send what waits for `holder`, as long as it has room for another batch. */
  private pump<I extends PutItem | GetItem>(queues: Map<string, HolderQueue<I>>, holder: Peer, send: (items: I[]) => Promise<void>): void {
    const queue = this.queueOf(queues, holder)
    while (queue.sending < this.options.inFlight && queue.waiting.length > 0) {
      let bytes = 0
      let n = 0
      while (n < queue.waiting.length && n < this.options.maxChunks) {
        const size = sizeOf(queue.waiting[n]!)
        if (n > 0 && bytes + size > this.options.maxBytes) break
        bytes += size
        n++
      }
      const items = queue.waiting.splice(0, n)
      queue.sending++
      void send(items)
        .catch((error) => {
          for (const item of items) item.reject(error)
        })
        .finally(() => {
          queue.sending--
          this.pump(queues, holder, send)
        })
    }
  }

  private ask(holder: Peer, message: Parameters<typeof request>[2]): Promise<Incoming> {
    return request(this.transport, holder, message, this.options.timeoutMs)
  }

  private async sendPuts(holder: Peer, items: PutItem[]): Promise<void> {
    this.stats.putMessages++
    this.stats.putChunks += items.length
    const reply = SHARD_CODECS.chunksPutReply.decode(await this.ask(holder, SHARD_CODECS.chunksPut.encode({ head: {}, parts: items.map(({ hash, bytes }) => ({ hash, bytes })) })))
    if (reply.results.length !== items.length) throw new BorgError('bad-reply', `${holder.endpoint} answered ${reply.results.length} outcomes for ${items.length} chunks`)
    items.forEach((item, k) => {
      const outcome = reply.results[k]!
      if (outcome === 'stored' || outcome === 'exists') item.resolve(outcome)
      else if (outcome === 'full') item.reject(new BorgError('unavailable', `${holder.endpoint} is full (${reply.freeBytes} bytes free)`, { details: { remote: true, reason: 'full' } }))
      else item.reject(new BorgError('refused', `${holder.endpoint} is not among the chosen holders of chunk ${item.hash}`, { details: { remote: true } }))
    })
  }

  private async sendGets(holder: Peer, items: GetItem[]): Promise<void> {
    this.stats.getMessages++
    this.stats.getChunks += items.length
    let reply: Incoming
    try {
      reply = await this.ask(holder, SHARD_CODECS.chunksGet.encode({ hashes: items.map((item) => item.hash) }))
    } catch (error) {
      const bad = blamedPart(error)
      if (bad === undefined) throw error
      // One bad copy refuses the whole reply: that chunk is the holder's fault, the others are asked elsewhere.
      const lost = new BorgError('unavailable', `${holder.endpoint} sent a bad copy of chunk ${bad.slice(0, 16)}… in the same reply`)
      for (const item of items) item.reject(item.hash === bad ? error : lost)
      return
    }
    const { head, parts } = SHARD_CODECS.chunksGetReply.decode(reply)
    const got = new Map(parts.map((part) => [part.hash, part.bytes]))
    const absent = new Set(head.absent)
    const again: GetItem[] = []
    items.forEach((item, k) => {
      const bytes = got.get(item.hash)
      if (bytes) {
        // Checked against its name at the edge; the length is the manifest's.
        if (bytes.length === item.length) item.resolve(bytes)
        else item.reject(new BorgError('body-hash-mismatch', `chunk ${item.hash.slice(0, 16)}… has ${bytes.length} bytes, the manifest says ${item.length}`))
      } else if (absent.has(k)) item.reject(new BorgError('not-found', `chunk ${item.hash} is not here`, { details: { remote: true } }))
      else again.push(item)
    })
    if (again.length === items.length) throw new BorgError('bad-reply', `${holder.endpoint} sent none of ${items.length} chunks and named none absent`)
    // Left out for the reply's size: asked again, ahead of what queued since.
    if (again.length > 0) this.queueOf(this.gets, holder).waiting.unshift(...again)
  }
}
