/**
 * The sending side of DStream, on a node: files its owner asked it to send
 * (`stream.send`, own key only), each served by `stream.pull` on the node's
 * shard-cell net port to the one node it was offered to, and nobody else.
 * The receiver pulls from this node because it is a member of their shard
 * tree: an endpoint a command line opened would not be pulled from.
 *
 * Bounded: SOURCE_LIMITS.max sources at once; one nobody pulled from (or
 * offered again) for `idleMs` is dropped. A source keeps the chunk names
 * (32 bytes a chunk) and the file's path; each pull reads one chunk.
 */
import { open, stat } from 'node:fs/promises'
import { BorgError } from '../errors.js'
import type { Logger } from '../log.js'
import type { Clock } from '../wire/clock.js'
import type { Incoming } from '../wire/message.js'
import type { SenderRule } from '../wire/sender-rule.js'
import { request } from '../messaging/requests.js'
import type { Responder, Transport } from '../wire/transport.js'
import { chunkLength } from '../storage/chunking.js'
import { parsePeerRef } from '../net/relayed-endpoint.js'
import { NODE_CODECS } from '../node/messages.js'
import { STREAM_CODECS, type SendReply, type SendRequest, type StreamOffer } from './messages.js'

export interface SourceLimits {
  max: number
  idleMs: number
}

export const SOURCE_LIMITS: SourceLimits = { max: 16, idleMs: 60 * 60_000 }

interface Source {
  terms: Omit<StreamOffer, 'endpoint'>
  path: string
  /** The receiving node's id: the only key these chunks are served to. */
  to: string
  lastUsed: number
}

export class StreamSources {
  private readonly sources = new Map<string, Source>()
  readonly counters = { sent: 0, pullsServed: 0, pullsRefused: 0 }

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly limits: SourceLimits = SOURCE_LIMITS,
  ) {}

  get count(): number {
    this.expire()
    return this.sources.size
  }

  /** The sender rule of `stream.pull`: only nodes this node offered a stream to may pull. */
  readonly rule: SenderRule = {
    name: 'a node this node offered a stream to',
    refuse: (m) => (this.isRecipient(m.fromHex) ? undefined : `${m.kind} is answered only to nodes this node offered a stream to`),
  }

  isRecipient(id: string): boolean {
    this.expire()
    for (const s of this.sources.values()) if (s.to === id) return true
    return false
  }

  add(terms: Omit<StreamOffer, 'endpoint'>, path: string, to: string): void {
    this.expire()
    const key = `${to}:${terms.streamId}`
    if (!this.sources.has(key) && this.sources.size >= this.limits.max) {
      throw new BorgError('busy', `this node already serves ${this.sources.size} streams (at most ${this.limits.max}); try again when one is done`)
    }
    this.sources.set(key, { terms, path, to, lastUsed: this.clock.now() })
  }

  /**
   * Offer a file to the node at `to` (its id learned first, so that the
   * source is registered for exactly that node before it can pull), with
   * this node's shard-cell net endpoint as where to pull from.
   */
  async offer(transport: Transport, o: SendRequest & { endpoint: string; timeoutMs?: number }): Promise<SendReply> {
    const info = await stat(o.path).catch(() => undefined)
    if (!info?.isFile() || info.size !== o.terms.size) throw new BorgError('invalid-input', `${o.path} is not the file that was hashed (it is gone, or its size changed)`)
    // Any organism node answers its directory: only who signed the answer matters here (and, given an id, it must be that node).
    const to = parsePeerRef(o.to)
    const receiver = (await request(transport, { endpoint: to.endpoint, id: to.id }, NODE_CODECS.directory.encode({}), o.timeoutMs)).fromHex
    this.add(o.terms, o.path, receiver)
    this.counters.sent++
    const reply = await request(transport, { endpoint: to.endpoint, id: receiver }, STREAM_CODECS.offer.encode({ ...o.terms, endpoint: o.endpoint }), o.timeoutMs)
    return { ...STREAM_CODECS.offerReply.decode(reply), receiver }
  }

  /** Answer a `stream.pull` (its sender passed `rule`): one chunk, read from the file now. */
  serve(m: Incoming, r: Responder): void {
    let asked: { streamId: string; index: number }
    try {
      asked = STREAM_CODECS.pull.decode(m)
    } catch (error) {
      this.counters.pullsRefused++
      return r.fail((error as BorgError).code, (error as Error).message)
    }
    const { streamId, index } = asked
    const source = this.sources.get(`${m.fromHex}:${streamId}`)
    if (!source || index >= source.terms.count) {
      this.counters.pullsRefused++
      return r.fail('not-found', 'no such chunk offered to you')
    }
    source.lastUsed = this.clock.now()
    const { terms } = source
    const length = chunkLength(index, terms.size, terms.chunkSize)
    readChunk(source.path, index * terms.chunkSize, length).then(
      (bytes) => {
        this.counters.pullsServed++
        // The name announced is the body hash: a file changed since it was hashed is refused by the receiver's edge.
        r.reply({ ...STREAM_CODECS.pullReply.encode(bytes), bodyHash: terms.hashes.slice(index * 32, index * 32 + 32) })
      },
      (error: Error) => {
        this.log.warn(`streams: cannot read chunk ${index} of ${source.path}: ${error.message}`, 'stream-source')
        r.fail('unavailable', 'the chunk cannot be read here now')
      },
    )
  }

  private expire(): void {
    const now = this.clock.now()
    for (const [key, s] of this.sources) if (now - s.lastUsed >= this.limits.idleMs) this.sources.delete(key)
  }
}

async function readChunk(path: string, offset: number, length: number): Promise<Uint8Array> {
  const file = await open(path, 'r')
  try {
    const bytes = new Uint8Array(length)
    const { bytesRead } = await file.read(bytes, 0, length, offset)
    if (bytesRead !== length) throw new BorgError('unavailable', `the file is shorter than when it was offered (read ${bytesRead} of ${length} bytes at ${offset})`)
    return bytes
  } finally {
    await file.close()
  }
}
