/**
 * DStream messages (docs/protocol.md §9.7): a sending node offers a stream,
 * the receiving node pulls its chunks from the sender's shard-cell endpoint
 * in a window and reports progress; control kinds let the node's own key
 * send files and manage who may offer.
 */
import { isAbsolute } from 'node:path'
import { BorgError } from '../errors.js'
import { bytesToHex, hexToBytes } from '../bytes.js'
import { readObject, type Incoming } from '../wire/message.js'
import { formatEndpoint, parseEndpoint } from '../net/endpoint.js'
import { DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE } from '../storage/chunking.js'
import { isSha256Hex } from '../storage/names.js'

export const STREAM_KIND = {
  offer: 'stream.offer',
  pull: 'stream.pull',
  status: 'stream.status',
  // Control: receptor only, the node's own key.
  send: 'stream.send',
  allow: 'stream.allow',
  deny: 'stream.deny',
  pending: 'stream.pending',
  accept: 'stream.accept',
} as const

/**
 * Chunks one offer may list. The receiver keeps 32 bytes a chunk in memory
 * (2 MiB at most) and the offer's JSON stays under 4.5 MB; with chunks of up
 * to 64 MiB a stream can still be 4 TiB.
 */
export const MAX_OFFER_CHUNKS = 65_536
/** An offer's body is refused unread beyond this (a chunk name is 67 bytes of JSON). */
export const MAX_OFFER_BYTES = MAX_OFFER_CHUNKS * 67 + 4096

/** The offer as it travels: JSON. */
export interface OfferBody {
  /** SHA-256 of the whole stream, hex: its name. */
  streamId: string
  size: number
  chunkSize: number
  chunks: string[]
  /** Where the receiver pulls from: the sending node's shard-cell net endpoint (a member of the receiver's shard tree). */
  endpoint: string
  /** A file name for the receiver's copy (a base name only). */
  name?: string
}

/** An offer as the receiver keeps it: chunk names packed, 32 bytes each. */
export interface StreamOffer {
  streamId: string
  size: number
  chunkSize: number
  count: number
  hashes: Uint8Array
  endpoint: string
  name?: string
}

/** Where a stream stands, as `stream.offer.reply` and `stream.status.reply` carry it. */
export type StreamState = 'pending' | 'pulling' | 'failed' | 'done'

export interface StreamProgress {
  streamId: string
  status: StreamState
  received: number
  total: number
  done: boolean
  /** Where the finished file is, on the receiver. */
  path?: string
  /** Why the pull stopped (generic: details stay in the receiver's log). */
  error?: string
  /** A pending offer: the id its receiver's owner accepts it by, and when it lapses (ms since the epoch). */
  offerId?: string
  expiresAt?: number
}

/** Chunk size a sender uses for `size` bytes: the default, doubled until the chunk list fits one offer. */
export function chunkSizeFor(size: number): number {
  let chunkSize = DEFAULT_CHUNK_SIZE
  while (Math.ceil(size / chunkSize) > MAX_OFFER_CHUNKS) {
    chunkSize *= 2
    if (chunkSize > MAX_CHUNK_SIZE) throw new BorgError('too-large', `a stream of ${size} bytes needs more than ${MAX_OFFER_CHUNKS} chunks of the largest size (${MAX_CHUNK_SIZE} bytes)`)
  }
  return chunkSize
}

export function chunkHashHex(offer: Pick<StreamOffer, 'hashes'>, index: number): string {
  return bytesToHex(offer.hashes.subarray(index * 32, index * 32 + 32))
}

const bad = (what: string): never => {
  throw new BorgError('malformed', `stream.offer: ${what}`)
}

/** A base name only: no directories, nothing hidden, nothing a shell or a path would misread. */
export function checkStreamName(name: unknown): string {
  if (typeof name !== 'string' || !/^[^/\\\u0000-\u001f]{1,255}$/.test(name) || name === '.' || name === '..' || name.startsWith('.')) return bad('name')
  return name
}

/** The offer terms (every field but the endpoint), checked; shared by `stream.offer` and `stream.send`. */
export function readTerms(b: Record<string, unknown>): Omit<StreamOffer, 'endpoint'> {
  const int = (v: unknown, what: string) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : bad(what))
  const streamId = isSha256Hex(b.streamId) ? b.streamId : bad('streamId')
  const size = int(b.size, 'size')
  const chunkSize = int(b.chunkSize, 'chunkSize')
  if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) bad('chunkSize')
  if (!Array.isArray(b.chunks) || b.chunks.length > MAX_OFFER_CHUNKS) bad(`chunks: at most ${MAX_OFFER_CHUNKS}`)
  const chunks = b.chunks as unknown[]
  if (chunks.length !== Math.ceil(size / chunkSize)) bad('chunk count does not match size')
  const hashes = new Uint8Array(chunks.length * 32)
  chunks.forEach((c, i) => hashes.set(hexToBytes(isSha256Hex(c) ? c : bad('chunk hash')), i * 32))
  const terms: Omit<StreamOffer, 'endpoint'> = { streamId, size, chunkSize, count: chunks.length, hashes }
  if (b.name !== undefined) terms.name = checkStreamName(b.name)
  return terms
}

export function readOffer(m: Pick<Incoming, 'body' | 'bodyType' | 'kind'>): StreamOffer {
  if (m.body.length > MAX_OFFER_BYTES) throw new BorgError('too-large', `stream.offer: at most ${MAX_OFFER_BYTES} bytes (${MAX_OFFER_CHUNKS} chunks)`)
  const b = readObject(m)
  let endpoint: string
  try {
    endpoint = typeof b.endpoint === 'string' && b.endpoint.length < 300 ? formatEndpoint(parseEndpoint(b.endpoint)) : bad('endpoint')
  } catch {
    return bad('endpoint: expected HOST:PORT')
  }
  return { ...readTerms(b), endpoint }
}

/** `stream.send` (own key): offer the file at `path` (absolute) to the node at `to`, on these terms. */
export interface SendRequest {
  terms: Omit<StreamOffer, 'endpoint'>
  path: string
  to: string
}

export function readSendRequest(m: Pick<Incoming, 'body' | 'bodyType' | 'kind'>): SendRequest {
  const b = readObject(m)
  if (typeof b.path !== 'string' || !isAbsolute(b.path)) throw new BorgError('invalid-input', 'stream.send: path must be absolute')
  if (typeof b.to !== 'string') throw new BorgError('invalid-input', 'stream.send: to must be HOST:PORT')
  return { terms: readTerms(b), path: b.path, to: formatEndpoint(parseEndpoint(b.to)) }
}

/** The terms' wire form: every field of an offer but the endpoint (`stream.send` carries these). */
export function termsBody(terms: Omit<StreamOffer, 'endpoint'>): Omit<OfferBody, 'endpoint'> {
  const chunks = Array.from({ length: terms.count }, (_, i) => chunkHashHex(terms, i))
  const body: Omit<OfferBody, 'endpoint'> = { streamId: terms.streamId, size: terms.size, chunkSize: terms.chunkSize, chunks }
  if (terms.name !== undefined) body.name = terms.name
  return body
}

/** The offer's wire form (the sender's side). */
export function offerBody(offer: StreamOffer): OfferBody {
  return { ...termsBody(offer), endpoint: offer.endpoint }
}
