/**
 * DStream messages (docs/protocol.md §9.7): a sending node offers a stream,
 * the receiving node pulls its chunks from the sender's shard-cell endpoint
 * in a window and reports progress; control kinds let the node's own key
 * send files and manage who may offer. One codec per kind, requests and
 * replies, in STREAM_CODECS.
 */
import { isAbsolute } from 'node:path'
import { BorgError, type ErrorCode } from '../errors.js'
import { bytesToHex, hexToBytes } from '../bytes.js'
import { bool, fail, hex, int, list, literal, nodeId, num, object, optional, refusedAs, text, type Check } from '../codec/checks.js'
import { binaryCodec, codecTable, emptyCodec, jsonCodec, shapeCodec, type Body, type Codec } from '../codec/codec.js'
import { canonicalPeerEndpoint, parsePeerRef } from '../net/relayed-endpoint.js'
import { DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE } from '../storage/chunking.js'
import { MAX_ALLOWED } from './consent.js'

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

/** The offer terms as they travel: every field of an offer but the endpoint (`stream.send` carries these). */
export type TermsBody = Omit<OfferBody, 'endpoint'>

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

/** `stream.send` (own key), as it travels: offer the file at `path` (absolute) to the node at `to` (HOST:PORT), on these terms. */
export type SendBody = TermsBody & { path: string; to: string }

/** `stream.send`, as the sending node keeps it: the terms with their chunk names packed. */
export interface SendRequest {
  terms: Omit<StreamOffer, 'endpoint'>
  path: string
  to: string
}

/** The answer to `stream.send`: the receiver's progress, and its node id. */
export type SendReply = StreamProgress & { receiver: string }

/** What `borg stream pending` lists (no chunk list). */
export interface PendingView {
  id: string
  sender: string
  streamId: string
  size: number
  name?: string
  endpoint: string
  arrivedAt: number
  expiresAt: number
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

/** A base name only: no directories, nothing hidden, nothing a shell or a path would misread. */
const streamName: Check<string> = (value, at) =>
  typeof value === 'string' && /^[^/\\\u0000-\u001f]{1,255}$/.test(value) && !value.startsWith('.') ? value : fail(at, 'must be a base name: no "/", "\\", control characters or leading dot')

/** HOST:PORT, NODEID@HOST:PORT or NODEID@via:…, normalised (whom to send a stream to). */
const peerRefCheck: Check<string> = (value, at) => {
  if (typeof value === 'string' && value.length < 400) {
    try {
      return parsePeerRef(value).text
    } catch {
      // refused below
    }
  }
  return fail(at, 'must be HOST:PORT, NODEID@HOST:PORT or NODEID@via:…', 'invalid-input')
}

/** HOST:PORT or a relayed `via:` endpoint, normalised. */
function endpointCheck(code?: ErrorCode): Check<string> {
  return (value, at) => {
    if (typeof value === 'string' && value.length < 300) {
      try {
        return canonicalPeerEndpoint(value)
      } catch {
        // refused below, with the sender's error code
      }
    }
    return fail(at, 'must be HOST:PORT or via:HOST:PORT,…', code)
  }
}

const chunkList = list(hex(32), MAX_OFFER_CHUNKS)
const chunkNames: Check<string[]> = (value, at) => (Array.isArray(value) && value.length > MAX_OFFER_CHUNKS ? fail(at, `must hold at most ${MAX_OFFER_CHUNKS} chunk names`) : chunkList(value, at))

const termsShape = {
  streamId: hex(32),
  size: int(),
  chunkSize: int(MIN_CHUNK_SIZE, MAX_CHUNK_SIZE),
  chunks: chunkNames,
  name: optional(streamName),
}

/** `check`, and then a chunk list exactly as long as size and chunkSize make it. */
function withChunkCount<T extends TermsBody>(check: Check<T>): Check<T> {
  return (value, at) => {
    const terms = check(value, at)
    if (terms.chunks.length !== Math.ceil(terms.size / terms.chunkSize)) fail(at, 'chunk count does not match size')
    return terms
  }
}

const offerCheck: Check<OfferBody> = withChunkCount(object({ ...termsShape, endpoint: endpointCheck() }))
// The owner's own command: a path or an address it got wrong is `invalid-input`; the terms it hashed are checked like an offer's.
const absolutePath: Check<string> = (value, at) => (typeof value === 'string' && value.length <= 4096 && isAbsolute(value) ? value : fail(at, 'must be an absolute path', 'invalid-input'))
const sendCheck: Check<SendBody> = withChunkCount(object({ ...termsShape, path: absolutePath, to: peerRefCheck }))

/** The terms' chunk names packed, 32 bytes each (names checked already). */
export function packTerms(body: TermsBody): Omit<StreamOffer, 'endpoint'> {
  const hashes = new Uint8Array(body.chunks.length * 32)
  body.chunks.forEach((chunk, i) => hashes.set(hexToBytes(chunk), i * 32))
  const terms: Omit<StreamOffer, 'endpoint'> = { streamId: body.streamId, size: body.size, chunkSize: body.chunkSize, count: body.chunks.length, hashes }
  if (body.name !== undefined) terms.name = body.name
  return terms
}

/** The terms' wire form: every field of an offer but the endpoint (`stream.send` carries these). */
export function termsBody(terms: Omit<StreamOffer, 'endpoint'>): TermsBody {
  const chunks = Array.from({ length: terms.count }, (_, i) => chunkHashHex(terms, i))
  const body: TermsBody = { streamId: terms.streamId, size: terms.size, chunkSize: terms.chunkSize, chunks }
  if (terms.name !== undefined) body.name = terms.name
  return body
}

/** The offer's wire form (the sender's side). */
export function offerBody(offer: StreamOffer): OfferBody {
  return { ...termsBody(offer), endpoint: offer.endpoint }
}

/** The offer as it travels; STREAM_CODECS.offer packs its chunk names. */
const offerWire = jsonCodec(STREAM_KIND.offer, offerCheck)

/** `stream.offer` as its receiver reads it: refused unread when too large, then checked, its chunk names packed. */
export function readOffer(m: Body): StreamOffer {
  if (m.body.length > MAX_OFFER_BYTES) throw new BorgError('too-large', `stream.offer: at most ${MAX_OFFER_BYTES} bytes (${MAX_OFFER_CHUNKS} chunks)`)
  const { endpoint, ...terms } = offerWire.decode(m)
  return { ...packTerms(terms), endpoint }
}

const offerId = text({ min: 16, max: 16, pattern: /^[0-9a-f]{16}$/, describe: 'the 16 hex digits "borg stream pending" shows' })
const progressShape = {
  streamId: hex(32),
  status: literal<StreamState>('pending', 'pulling', 'failed', 'done'),
  received: int(),
  total: int(),
  done: bool,
  path: optional(text({ max: 4096 })),
  error: optional(text({ max: 4096, min: 0 })),
  offerId: optional(offerId),
  expiresAt: optional(num(0)),
}
const progressCodec = (kind: string): Codec<StreamProgress> => shapeCodec(`${kind}.reply`, progressShape)
const pendingViewCheck: Check<PendingView> = object({
  id: offerId,
  sender: nodeId,
  streamId: hex(32),
  size: int(),
  name: optional(text({ max: 255 })),
  endpoint: text({ max: 300 }),
  arrivedAt: num(0),
  expiresAt: num(0),
})
/** The allow-list's checks are the allow-list's (consent.ts); anything but a string is `invalid-input`, as before codecs. */
const keyText = refusedAs('invalid-input', text({ max: 256 }))

const offer: Codec<StreamOffer> = { kind: STREAM_KIND.offer, encode: (value, to) => offerWire.encode(offerBody(value), to), decode: readOffer }
const sendReply: Codec<SendReply> = shapeCodec(`${STREAM_KIND.send}.reply`, { ...progressShape, receiver: nodeId })

export const STREAM_CODECS = codecTable({
  offer,
  offerReply: progressCodec(STREAM_KIND.offer),
  pull: shapeCodec(STREAM_KIND.pull, { streamId: hex(32), index: int() }),
  /** Chunk `index` of the stream; the sender names its hash as the body hash. */
  pullReply: binaryCodec(`${STREAM_KIND.pull}.reply`),
  status: shapeCodec(STREAM_KIND.status, { streamId: hex(32) }),
  statusReply: progressCodec(STREAM_KIND.status),
  send: jsonCodec(STREAM_KIND.send, sendCheck),
  sendReply,
  allow: shapeCodec(STREAM_KIND.allow, { key: keyText }),
  allowReply: shapeCodec(`${STREAM_KIND.allow}.reply`, { key: text({ max: 256, min: 0 }), added: bool }),
  deny: shapeCodec(STREAM_KIND.deny, { key: keyText }),
  denyReply: shapeCodec(`${STREAM_KIND.deny}.reply`, { key: text({ max: 256, min: 0 }), removed: bool, pendingDropped: int() }),
  pending: emptyCodec(STREAM_KIND.pending),
  // A node holds far fewer offers (pending.ts) and keys (consent.ts) than a reply may list.
  pendingReply: shapeCodec(`${STREAM_KIND.pending}.reply`, { pending: list(pendingViewCheck, 1024), allowed: list(nodeId, MAX_ALLOWED) }),
  accept: shapeCodec(STREAM_KIND.accept, { id: refusedAs('invalid-input', offerId) }),
  acceptReply: progressCodec(STREAM_KIND.accept),
})
