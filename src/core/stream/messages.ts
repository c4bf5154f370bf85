/**
 * DStream messages (docs/protocol.md §9.7): a sender offers a stream, the
 * receiver pulls its chunks in a window and reports progress.
 */
import { BorgError } from '../errors.js'
import { readJson, type Incoming } from '../wire/message.js'
import { MAX_CHUNK_SIZE, MIN_CHUNK_SIZE } from '../storage/chunking.js'
import { isSha256Hex } from '../storage/names.js'

export const STREAM_KIND = {
  offer: 'stream.offer',
  pull: 'stream.pull',
  status: 'stream.status',
} as const


export interface StreamOffer {
  /** SHA-256 of the whole stream, hex: its name. */
  streamId: string
  size: number
  chunkSize: number
  chunks: string[]
  /** Where the receiver pulls from (the sender's endpoint; its key is the offer's signer). */
  endpoint: string
  /** A file name for the receiver's copy (a base name only). */
  name?: string
}

export interface StreamProgress {
  streamId: string
  received: number
  total: number
  done: boolean
  /** Where the finished file is, on the receiver. */
  path?: string
  error?: string
}

export function readOffer(m: Incoming): StreamOffer {
  const b = readJson<Record<string, unknown>>(m)
  const bad = (what: string): never => {
    throw new BorgError('malformed', `stream.offer: ${what}`)
  }
  const int = (v: unknown, what: string) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : bad(what))
  const offer: StreamOffer = {
    streamId: isSha256Hex(b.streamId) ? b.streamId : bad('streamId'),
    size: int(b.size, 'size'),
    chunkSize: int(b.chunkSize, 'chunkSize'),
    chunks: Array.isArray(b.chunks) && b.chunks.length <= 1 << 20 ? b.chunks.map((c) => (isSha256Hex(c) ? c : bad('chunk hash'))) : bad('chunks'),
    endpoint: typeof b.endpoint === 'string' && b.endpoint.length < 300 ? b.endpoint : bad('endpoint'),
  }
  if (offer.chunkSize < MIN_CHUNK_SIZE || offer.chunkSize > MAX_CHUNK_SIZE) bad('chunkSize')
  if (offer.chunks.length !== Math.ceil(offer.size / offer.chunkSize)) bad('chunk count does not match size')
  if (b.name !== undefined) {
    const name = typeof b.name === 'string' ? b.name : bad('name')
    // A base name only: no directories, nothing hidden, nothing a shell or a path would misread.
    if (!/^[^/\\\u0000-\u001f]{1,255}$/.test(name) || name === '.' || name === '..' || name.startsWith('.')) bad('name')
    offer.name = name
  }
  return offer
}
