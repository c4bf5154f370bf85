/**
 * The receiving side of DStream: pulls an offered stream's chunks from the
 * sender with a window in flight, checks each against its announced hash,
 * writes it at its offset (out of order is fine), asks again after a timeout
 * or a bad chunk, remembers what arrived (so a restart resumes), and checks
 * the whole stream's hash at the end before the file appears.
 */
import { mkdir, open, readFile, rename, rm, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { BorgError } from '../errors.js'
import { bytesToHex } from '../bytes.js'
import { sha256Stream } from '../crypto/hash.js'
import type { Logger } from '../log.js'
import { writeFileAtomic } from '../store/atomic-file.js'
import { jsonMessage } from '../wire/message.js'
import { request, type Peer, type Transport } from '../wire/transport.js'
import { STREAM_KIND, type StreamOffer, type StreamProgress } from './messages.js'
import { pullWindow } from './pull-window.js'
import { chunkFromReply } from '../storage/chunk-reply.js'
import { chunkLength } from '../storage/chunking.js'

export interface ReceiverOptions {
  dir: string
  transport: Transport
  log: Logger
  window?: number
  timeoutMs?: number
  /** Attempts per chunk before the stream is given up (until offered again). */
  attempts?: number
}

interface Stream {
  offer: StreamOffer
  from: Peer
  have: Uint8Array
  received: number
  done: boolean
  path?: string
  error?: string
  running?: Promise<void>
}

export class StreamReceiver {
  private readonly streams = new Map<string, Stream>()
  private readonly window: number
  private readonly timeoutMs: number
  private readonly attempts: number

  constructor(private readonly options: ReceiverOptions) {
    this.window = options.window ?? 8
    this.timeoutMs = options.timeoutMs ?? 15_000
    this.attempts = options.attempts ?? 5
  }

  private partPath(id: string): string {
    return join(this.options.dir, 'partial', `${id}.part`)
  }

  private statePath(id: string): string {
    return join(this.options.dir, 'partial', `${id}.json`)
  }

  /** Take an offer (or a repeated one: it resumes); pulling starts in the background. */
  async accept(offer: StreamOffer, senderId: string): Promise<StreamProgress> {
    let s = this.streams.get(offer.streamId)
    if (!s) {
      await mkdir(join(this.options.dir, 'partial'), { recursive: true, mode: 0o700 })
      const have = new Uint8Array(offer.chunks.length)
      const saved = await readFile(this.statePath(offer.streamId), 'utf8').catch(() => undefined)
      if (saved) {
        const indexes = (JSON.parse(saved) as { have?: number[] }).have ?? []
        for (const i of indexes) if (Number.isSafeInteger(i) && i >= 0 && i < have.length) have[i] = 1
      }
      s = { offer, from: { endpoint: offer.endpoint, id: senderId }, have, received: have.reduce((a, b) => a + b, 0), done: false }
      this.streams.set(offer.streamId, s)
    } else {
      s.from = { endpoint: offer.endpoint, id: senderId }
      s.error = undefined
    }
    if (!s.done && !s.running) {
      const stream = s
      stream.running = this.pull(stream)
        .catch((error: Error) => {
          stream.error = error.message
          this.options.log.warn(`stream ${stream.offer.streamId.slice(0, 12)}: ${error.message}`, 'stream-failed')
        })
        .finally(() => (stream.running = undefined))
    }
    return this.progress(s)
  }

  status(streamId: string): StreamProgress | undefined {
    const s = this.streams.get(streamId)
    return s && this.progress(s)
  }

  private progress(s: Stream): StreamProgress {
    return { streamId: s.offer.streamId, received: s.received, total: s.offer.chunks.length, done: s.done, path: s.path, error: s.error }
  }

  private async pull(s: Stream): Promise<void> {
    const { offer } = s
    const part = this.partPath(offer.streamId)
    const handle: FileHandle = await open(part, s.received > 0 ? 'r+' : 'w', 0o600).catch(() => open(part, 'w', 0o600))
    try {
      await handle.truncate(offer.size)
      const missing: number[] = []
      for (let i = 0; i < offer.chunks.length; i++) if (!s.have[i]) missing.push(i)
      let saving: Promise<void> = Promise.resolve()
      let lastSave = 0
      // What arrived is recorded at most every 0.5 s while chunks flow, and always when the pull stops.
      const save = (force = false) => {
        const now = performance.now()
        if (!force && now - lastSave < 500) return
        lastSave = now
        const have: number[] = []
        s.have.forEach((v, i) => v && have.push(i))
        saving = saving.then(() => writeFileAtomic(this.statePath(offer.streamId), JSON.stringify({ have })).catch(() => {}))
      }
      let failure: unknown
      await pullWindow({
        indexes: missing,
        window: this.window,
        attempts: this.attempts,
        ordered: false,
        fetch: async (index) => {
          const reply = await request(this.options.transport, s.from, jsonMessage(STREAM_KIND.pull, { streamId: offer.streamId, index }), this.timeoutMs)
          return chunkFromReply(reply, offer.chunks[index]!, chunkLength(index, offer.size, offer.chunkSize))
        },
        deliver: async (index, bytes) => {
          await handle.write(bytes, 0, bytes.length, index * offer.chunkSize)
          s.have[index] = 1
          s.received++
          save()
        },
      }).catch((error: unknown) => (failure = error))
      save(true)
      await saving
      if (failure) throw failure
      await handle.sync()
    } finally {
      await handle.close()
    }
    // The whole stream, hashed from disk: what was resumed is checked like what just arrived.
    const whole = sha256Stream()
    const reader = await open(part, 'r')
    try {
      for await (const piece of reader.createReadStream({ highWaterMark: 1 << 20 })) whole.update(piece as Buffer)
    } finally {
      await reader.close().catch(() => {})
    }
    if (bytesToHex(whole.digest()) !== offer.streamId) {
      await rm(part, { force: true })
      await rm(this.statePath(offer.streamId), { force: true })
      s.have.fill(0)
      s.received = 0
      throw new BorgError('body-hash-mismatch', 'the whole stream does not match its id; it will be fetched again if offered again')
    }
    await mkdir(join(this.options.dir, 'received'), { recursive: true, mode: 0o700 })
    const target = join(this.options.dir, 'received', offer.name ? `${offer.streamId.slice(0, 12)}-${offer.name}` : offer.streamId)
    await rename(part, target)
    await rm(this.statePath(offer.streamId), { force: true })
    s.done = true
    s.path = target
    this.options.log.info(`stream ${offer.streamId.slice(0, 12)} received: ${offer.size} bytes in ${target}`)
  }
}
