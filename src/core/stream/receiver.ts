/**
 * The receiving side of DStream: pulls an accepted stream's chunks from its
 * source (a member of the shard tree, its id pinned) with a window in flight,
 * checks each against its announced hash, writes it at its offset (out of
 * order is fine), asks again after a timeout or a bad chunk, remembers what
 * arrived (so a restart resumes), and checks the whole stream's hash at the
 * end before the file appears in received/.
 *
 * Budgets: an offer is admitted only within the quota (quota.ts) and before
 * any file exists for it; a pull keeps at most `window` requests and
 * WINDOW_BYTES of chunks in flight, and the chunk names (32 bytes each, at
 * most MAX_OFFER_CHUNKS) only while it runs; partials that made no progress
 * for `staleMs` are removed (sweep(), and at open()).
 *
 * Whoever offered a stream learns only that its source did not deliver; why
 * (refused, reset, not a borg node, another node's key …) goes to the log.
 */
import { mkdir, open, rename, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { BorgError } from '../errors.js'
import { bytesToHex } from '../bytes.js'
import { sha256Stream } from '../crypto/hash.js'
import type { Logger } from '../log.js'
import type { Clock } from '../wire/clock.js'
import { request } from '../messaging/requests.js'
import type { Peer, Transport } from '../wire/transport.js'
import { chunkFromReply } from '../storage/chunk-reply.js'
import { chunkLength } from '../storage/chunking.js'
import { STREAM_CODECS, chunkHashHex, type StreamOffer, type StreamProgress } from './messages.js'
import { pullWindow } from './pull-window.js'
import { PartialStore, directoryBytes, type PartialState } from './partials.js'
import { DEFAULT_STREAM_LIMITS, freeDiskBytes, refusal, type StreamLimits, type StreamUsage } from './quota.js'

/** Chunk bytes a pull keeps in flight (at least one chunk). */
export const WINDOW_BYTES = 16 * 1024 * 1024
/** What the offerer sees when the source failed, whatever the reason. */
export const SOURCE_FAILED = 'unavailable: the source did not deliver'
/** What the offerer sees when this node could not write what arrived. */
export const LOCAL_FAILED = 'internal: this node could not keep the stream'
/** Finished streams remembered for status questions (beyond that, the oldest are forgotten). */
const MAX_FINISHED = 1024

export interface ReceiverOptions {
  dir: string
  transport: Transport
  log: Logger
  clock: Clock
  limits?: Partial<StreamLimits>
  /** Requests in flight at most (fewer for large chunks: WINDOW_BYTES). */
  window?: number
  timeoutMs?: number
  /** Attempts per chunk before the stream is given up (until offered again). */
  attempts?: number
  /** Free bytes on the disk holding `dir` (statfs by default; tests inject one). */
  freeDisk?: (dir: string) => Promise<number>
}

interface Stream {
  streamId: string
  size: number
  chunkSize: number
  total: number
  /** Key id of the offer's signer (the owner consented to it). */
  from: string
  /** unfinished: a partial exists (it counts against the quota); gone: it was dropped. */
  phase: 'unfinished' | 'done' | 'gone'
  received: number
  updatedAt: number
  /** Only while pulling: the chunk names, the pinned source and which chunks are here. */
  terms?: StreamOffer
  source?: Peer
  have?: Uint8Array
  path?: string
  error?: string
  running?: Promise<void>
}

/** A chunk failed every attempt: the source did not deliver. */
class SourceFailure extends BorgError {}

export class StreamReceiver {
  readonly limits: StreamLimits
  private readonly streams = new Map<string, Stream>()
  private readonly partials: PartialStore
  private readonly receivedDir: string
  private readonly window: number
  private readonly timeoutMs: number
  private readonly attempts: number
  private readonly freeDisk: (dir: string) => Promise<number>
  private opened?: Promise<void>
  /** Admissions (and sweeps) run one at a time, so two offers cannot both fit the same room. */
  private admitting: Promise<unknown> = Promise.resolve()
  readonly counters = { admitted: 0, refusedQuota: 0, completed: 0, failed: 0, staleRemoved: 0 }

  constructor(private readonly options: ReceiverOptions) {
    this.limits = { ...DEFAULT_STREAM_LIMITS, ...options.limits }
    this.partials = new PartialStore(options.dir)
    this.receivedDir = join(options.dir, 'received')
    this.window = options.window ?? 8
    this.timeoutMs = options.timeoutMs ?? 15_000
    this.attempts = options.attempts ?? 5
    this.freeDisk = options.freeDisk ?? freeDiskBytes
  }

  /** Find what earlier runs left: stale partials are removed, the others reserve their share again. */
  open(): Promise<void> {
    this.opened ??= (async () => {
      await this.partials.ensure()
      await mkdir(this.receivedDir, { recursive: true, mode: 0o700 })
      const now = this.options.clock.now()
      for (const found of await this.partials.scan()) {
        if (now - found.updatedAt >= this.limits.staleMs) {
          await this.removeStale(found.streamId, now - found.updatedAt)
          continue
        }
        const s = found.state
        this.streams.set(found.streamId, {
          streamId: found.streamId,
          size: s?.size ?? found.partBytes,
          chunkSize: s?.chunkSize ?? 0,
          total: s?.total ?? 0,
          from: s?.from ?? '',
          phase: 'unfinished',
          received: s?.have.length ?? 0,
          updatedAt: found.updatedAt,
        })
      }
    })()
    return this.opened
  }

  /** The offerer a stream was accepted from (it may offer it again without asking), if any. */
  offeredBy(streamId: string): string | undefined {
    return this.streams.get(streamId)?.from || undefined
  }

  status(streamId: string): StreamProgress | undefined {
    const s = this.streams.get(streamId)
    return s && this.progress(s)
  }

  /**
   * Take an offer the owner consented to (or the same one again: it resumes),
   * pulling from `source` in the background. A new stream must fit the quota:
   * `refused` (with the numbers) otherwise, before anything is written.
   */
  admit(offer: StreamOffer, from: string, source: Peer): Promise<StreamProgress> {
    const next = this.admitting.then(() => this.admitNow(offer, from, source))
    this.admitting = next.catch(() => {})
    return next
  }

  private async admitNow(offer: StreamOffer, from: string, source: Peer): Promise<StreamProgress> {
    await this.open()
    let s = this.streams.get(offer.streamId)
    if (s?.phase === 'done' && s.path && !(await stat(s.path).catch(() => undefined))) s = undefined // the file was removed: fetch it anew
    if (s?.phase === 'done' || s?.running) return this.progress(s)
    if (s?.phase === 'unfinished' && (s.size !== offer.size || s.chunkSize !== offer.chunkSize || s.total !== offer.count)) {
      await this.drop(s) // other terms under the same id: the old part is no use
      s = undefined
    }
    if (s?.phase !== 'unfinished') {
      const why = refusal(offer.size, await this.usage(), this.limits, await this.freeDisk(this.options.dir))
      if (why) {
        this.counters.refusedQuota++
        throw new BorgError('refused', why)
      }
      s = { streamId: offer.streamId, size: offer.size, chunkSize: offer.chunkSize, total: offer.count, from, phase: 'unfinished', received: 0, updatedAt: this.options.clock.now() }
      // The state first: every part on disk has one, so a restart knows its terms, its offerer and its age.
      await this.partials.writeState(this.stateOf(s, []))
      this.streams.set(s.streamId, s)
      this.counters.admitted++
    }
    s.from = from
    s.terms = offer
    s.source = source
    s.error = undefined
    if (!s.have) {
      s.have = new Uint8Array(offer.count)
      for (const i of (await this.partials.readState(offer.streamId))?.have ?? []) if (Number.isSafeInteger(i) && i >= 0 && i < offer.count) s.have[i] = 1
      s.received = s.have.reduce((a, b) => a + b, 0)
    }
    const stream = s
    stream.running = this.pull(stream)
      .catch((error: Error) => {
        this.counters.failed++
        stream.error = error instanceof SourceFailure ? SOURCE_FAILED : error instanceof BorgError && error.code === 'body-hash-mismatch' ? error.message : LOCAL_FAILED
        this.options.log.warn(`stream ${stream.streamId.slice(0, 12)} from ${source.endpoint}: ${error.message}`, 'stream-failed')
      })
      .finally(() => {
        // What a waiting stream needs is on disk; memory goes back to a few numbers.
        stream.running = undefined
        stream.terms = undefined
        stream.have = undefined
      })
    return this.progress(stream)
  }

  /** Bytes and streams taken now (received/ is measured each time: the owner may have moved files away). */
  async usage(): Promise<StreamUsage> {
    const usage: StreamUsage = { receivedBytes: await directoryBytes(this.receivedDir), unfinishedBytes: 0, unfinishedStreams: 0, toWriteBytes: 0 }
    for (const s of this.streams.values()) {
      if (s.phase !== 'unfinished') continue
      usage.unfinishedStreams++
      usage.unfinishedBytes += s.size
      usage.toWriteBytes += Math.max(0, s.size - s.received * s.chunkSize)
    }
    return usage
  }

  /**
   * Remove partials that made no progress for `staleMs` (and forget finished
   * streams as old), freeing their share of the quota. Returns the ids removed.
   */
  sweep(): Promise<string[]> {
    // In line with admissions, so a stream offered again just now is not swept from under it.
    const next = this.admitting.then(() => this.sweepNow())
    this.admitting = next.catch(() => {})
    return next
  }

  private async sweepNow(): Promise<string[]> {
    await this.open()
    const now = this.options.clock.now()
    const removed: string[] = []
    for (const s of [...this.streams.values()]) {
      if (s.running || now - s.updatedAt < this.limits.staleMs) continue
      if (s.phase === 'unfinished') {
        await this.removeStale(s.streamId, now - s.updatedAt)
        removed.push(s.streamId)
      }
      this.streams.delete(s.streamId)
    }
    return removed
  }

  private async removeStale(id: string, idleMs: number): Promise<void> {
    await this.partials.remove(id)
    this.counters.staleRemoved++
    this.options.log.info(`stream ${id.slice(0, 12)}: partial removed after ${Math.round(idleMs / 60_000)} min without progress`)
  }

  private async drop(s: Stream): Promise<void> {
    await this.partials.remove(s.streamId)
    s.phase = 'gone'
    s.received = 0
  }

  private stateOf(s: Stream, have: number[]): PartialState {
    return { v: 1, streamId: s.streamId, size: s.size, chunkSize: s.chunkSize, total: s.total, from: s.from, updatedAt: Math.floor(s.updatedAt), have }
  }

  private progress(s: Stream): StreamProgress {
    const failed = s.error !== undefined && !s.running
    const progress: StreamProgress = { streamId: s.streamId, status: s.phase === 'done' ? 'done' : failed ? 'failed' : 'pulling', received: s.received, total: s.total, done: s.phase === 'done' }
    if (s.path) progress.path = s.path
    if (failed) progress.error = s.error
    return progress
  }

  private remember(s: Stream): void {
    const finished = [...this.streams.values()].filter((x) => x.phase !== 'unfinished')
    for (const old of finished.slice(0, Math.max(0, finished.length - MAX_FINISHED))) if (old !== s) this.streams.delete(old.streamId)
  }

  private async pull(s: Stream): Promise<void> {
    const offer = s.terms!
    const have = s.have!
    const source = s.source!
    const { clock } = this.options
    const handle = await this.partials.openPart(offer.streamId)
    let failure: unknown
    try {
      const missing: number[] = []
      for (let i = 0; i < offer.count; i++) if (!have[i]) missing.push(i)
      let saving: Promise<void> = Promise.resolve()
      let lastSave = -Infinity
      // What arrived is recorded at most every 0.5 s while chunks flow, and always when the pull stops.
      const save = (force = false) => {
        const now = clock.monotonic()
        if (!force && now - lastSave < 500) return
        lastSave = now
        const indexes: number[] = []
        have.forEach((v, i) => v && indexes.push(i))
        const state = this.stateOf(s, indexes)
        saving = saving.then(() => this.partials.writeState(state).catch(() => {}))
      }
      await pullWindow({
        indexes: missing,
        window: Math.min(this.window, Math.max(1, Math.floor(WINDOW_BYTES / offer.chunkSize))),
        attempts: this.attempts,
        ordered: false,
        fetch: async (index) => {
          const reply = await request(this.options.transport, source, STREAM_CODECS.pull.encode({ streamId: offer.streamId, index }), this.timeoutMs)
          const body = STREAM_CODECS.pullReply.decode(reply)
          return chunkFromReply({ body, bodyHash: reply.bodyHash }, chunkHashHex(offer, index), chunkLength(index, offer.size, offer.chunkSize))
        },
        deliver: async (index, bytes) => {
          await handle.write(bytes, 0, bytes.length, index * offer.chunkSize)
          have[index] = 1
          s.received++
          s.updatedAt = clock.now()
          save()
        },
        failure: (index, errors) => new SourceFailure('unavailable', `chunk ${index} failed ${errors.length} time(s): ${errors.slice(-3).join('; ')}`),
      }).catch((error: unknown) => (failure = error))
      save(true)
      await saving
      if (!failure) {
        await handle.truncate(offer.size) // every chunk is written: this only trims what a longer old part had
        await handle.sync()
      }
    } finally {
      await handle.close()
    }
    if (failure) throw failure
    // The whole stream, hashed from disk: what was resumed is checked like what just arrived.
    const part = this.partials.partPath(offer.streamId)
    const whole = sha256Stream()
    const reader = await open(part, 'r')
    try {
      for await (const piece of reader.createReadStream({ highWaterMark: 1 << 20 })) whole.update(piece as Buffer)
    } finally {
      await reader.close().catch(() => {})
    }
    if (bytesToHex(whole.digest()) !== offer.streamId) {
      await this.drop(s)
      throw new BorgError('body-hash-mismatch', 'the whole stream does not match its id; it will be fetched again if offered again')
    }
    const target = join(this.receivedDir, offer.name ? `${offer.streamId.slice(0, 12)}-${offer.name}` : offer.streamId)
    await rename(part, target)
    await this.partials.remove(offer.streamId)
    s.phase = 'done'
    s.path = target
    s.updatedAt = clock.now()
    this.counters.completed++
    this.remember(s)
    this.options.log.info(`stream ${offer.streamId.slice(0, 12)} received: ${offer.size} bytes in ${target}`)
  }
}
