/**
 * Verifies an envelope while it streams in: the header is parsed and admitted
 * (size, window, recipient, replay, signature, kind) as soon as its bytes are
 * there, so a bad or oversized message is refused before its body is read; the
 * body is then hashed chunk by chunk into a buffer (hashing overlapped with the
 * network). Used by both ends of HTTPS.
 *
 * The buffer grows with what actually arrived (doubling, up to the announced
 * size), never to the announced size up front: a header may announce 64 MiB
 * and then send nothing. A server passes a BodyLimits (its InboundBudget
 * allowance), which may refuse the announced size at once and is asked before
 * every growth.
 */
import { BorgError } from '../errors.js'
import { concatBytes } from '../bytes.js'
import { sha256Stream } from '../crypto/hash.js'
import type { Incoming } from '../wire/message.js'
import { parseHeader, type EnvelopeHeader } from './codec.js'
import { MAX_HEADER_BYTES } from './layout.js'
import { toIncoming } from './seal.js'
import type { Admission, EnvelopeVerifier } from './verifier.js'

const EMPTY = new Uint8Array(0)
const HASH_SLICE = 1 << 20
/** First buffer of a body bigger than this; it doubles from there as bytes arrive. */
const FIRST_CAPACITY = 64 * 1024

/** What the receiving side lets a body take (see net/inbound-budget.ts). Both throw a BorgError to refuse. */
export interface BodyLimits {
  /** The header announced this body length (nothing is allocated yet). */
  admit(bodyLength: number): void
  /** About to allocate this many more bytes for the body. */
  reserve(bytes: number): void
}

export interface ReaderOptions {
  /** The transport's own length (Content-Length) when it has one. */
  declaredLength?: number
  /** See EnvelopeVerifier.admit. */
  asReply?: boolean
  limits?: BodyLimits
}

/** A rejection, with the header when it was readable (so a reply can name the request). */
export type ReadError = BorgError & { header?: EnvelopeHeader }

export class EnvelopeReader {
  private pending: Uint8Array = EMPTY
  private admission?: Admission
  private body: Uint8Array = EMPTY
  private bodyLength = 0
  private filled = 0
  private hashed = 0
  private readonly hash = sha256Stream()
  private readonly declaredLength?: number

  constructor(
    private readonly verifier: EnvelopeVerifier,
    private readonly options: ReaderOptions = {},
  ) {
    const declaredLength = (this.declaredLength = options.declaredLength)
    if (declaredLength !== undefined && declaredLength > MAX_HEADER_BYTES + verifier.maxBodyBytes) {
      throw verifier.reject(new BorgError('too-large', `message of ${declaredLength} bytes exceeds the limit of ${verifier.maxBodyBytes}`))
    }
  }

  get header(): EnvelopeHeader | undefined {
    return this.admission?.header
  }

  push(chunk: Uint8Array): void {
    let data = chunk
    if (!this.admission) {
      this.pending = this.pending.length === 0 ? data : concatBytes(this.pending, data)
      let parsed: ReturnType<typeof parseHeader>
      try {
        parsed = parseHeader(this.pending)
      } catch (error) {
        throw this.verifier.reject(error as BorgError)
      }
      if (parsed.status === 'incomplete') return
      try {
        this.admission = this.verifier.admit(parsed.header, parsed.signedPart, this.options.asReply ?? false)
      } catch (error) {
        throw withHeader(error as BorgError, parsed.header)
      }
      const total = parsed.headerLength + parsed.header.bodyLength
      if (this.declaredLength !== undefined && this.declaredLength !== total) {
        this.fail(new BorgError('malformed', `declared length ${this.declaredLength} does not match the envelope's ${total} bytes`))
      }
      this.bodyLength = parsed.header.bodyLength
      this.limit(() => this.options.limits?.admit(this.bodyLength))
      data = this.pending.subarray(parsed.headerLength)
      this.pending = EMPTY
    }
    if (this.filled + data.length > this.bodyLength) this.fail(new BorgError('malformed', 'malformed envelope: trailing bytes after body'))
    if (this.filled + data.length > this.body.length) this.grow(this.filled + data.length)
    this.body.set(data, this.filled)
    this.filled += data.length
    // Hash in large slices of the body buffer: per-call overhead on 16-64 KiB
    // network chunks costs ~35% of SHA-256 throughput.
    if (this.filled - this.hashed >= HASH_SLICE) this.hashFilled()
  }

  /** Room for at least `needed` bytes: double (at most to the body length), asking the limits first. */
  private grow(needed: number): void {
    const capacity = Math.min(this.bodyLength, Math.max(needed, this.body.length * 2, FIRST_CAPACITY))
    this.limit(() => this.options.limits?.reserve(capacity - this.body.length))
    // Not from Buffer's shared pool: a body must never expose other messages' bytes.
    const grown = Buffer.allocUnsafeSlow(capacity)
    if (this.filled > 0) grown.set(this.body.subarray(0, this.filled))
    this.body = grown
  }

  private limit(check: () => void): void {
    try {
      check()
    } catch (error) {
      if (!(error instanceof BorgError)) throw error
      this.fail(error)
    }
  }

  private hashFilled(): void {
    this.hash.update(this.body.subarray(this.hashed, this.filled))
    this.hashed = this.filled
  }

  /** All bytes are in: check completeness and the body hash, commit to the replay cache. */
  finish(): { header: EnvelopeHeader; incoming: Incoming } {
    const admission = this.admission
    if (!admission) throw this.verifier.reject(new BorgError('malformed', 'malformed envelope: truncated header'))
    if (this.filled < this.bodyLength) this.fail(new BorgError('malformed', 'malformed envelope: truncated body'))
    this.hashFilled()
    try {
      this.verifier.complete(admission, this.hash.digest())
    } catch (error) {
      throw withHeader(error as BorgError, admission.header)
    }
    return { header: admission.header, incoming: toIncoming(admission.header, this.body, admission.senderHex) }
  }

  /** The stream broke off: release the reservation and report why. */
  abort(error: BorgError): never {
    this.fail(error)
  }

  private fail(error: BorgError): never {
    if (this.admission) this.verifier.abort(this.admission, error)
    else this.verifier.reject(error)
    throw withHeader(error, this.admission?.header)
  }
}

function withHeader(error: BorgError, header: EnvelopeHeader | undefined): ReadError {
  return header ? Object.assign(error, { header }) : error
}

/** Read and verify one envelope from a chunk stream (an HTTP body). */
export async function readEnvelopeStream(
  chunks: AsyncIterable<Uint8Array>,
  verifier: EnvelopeVerifier,
  options: ReaderOptions = {},
): Promise<{ header: EnvelopeHeader; incoming: Incoming }> {
  const reader: EnvelopeReader = new EnvelopeReader(verifier, options)
  const iterator = chunks[Symbol.asyncIterator]()
  for (;;) {
    let next: IteratorResult<Uint8Array>
    try {
      next = await iterator.next()
    } catch (error) {
      // The stream broke (not the reader refusing): release the replay reservation too.
      reader.abort(error instanceof BorgError ? error : new BorgError('unavailable', `connection closed while receiving: ${(error as Error).message}`))
    }
    if (next.done) break
    try {
      reader.push(next.value)
    } catch (error) {
      await iterator.return?.()
      throw error
    }
  }
  return reader.finish()
}
