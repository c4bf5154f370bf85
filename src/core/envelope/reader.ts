/**
 * Verifies an envelope while it streams in: the header is parsed and admitted
 * (size, window, recipient, replay, signature, kind) as soon as its bytes are
 * there, so a bad or oversized message is refused before its body is read; the
 * body is then hashed as it arrives (hashing overlapped with the network).
 * Used by both ends of HTTPS.
 *
 * The body's memory grows with what actually arrived (BodyBuffer), never to
 * the announced size up front: a header may announce 64 MiB and then send
 * nothing. A server passes BodyLimits (its InboundBudget allowance), which may
 * refuse the announced size at once and is asked before every allocation.
 */
import { BorgError } from '../errors.js'
import { concatBytes } from '../bytes.js'
import type { Incoming } from '../wire/message.js'
import { BodyType } from '../wire/message.js'
import { BodyBuffer } from './body-buffer.js'
import { PartsHasher } from './parts.js'
import { parseHeader, type EnvelopeHeader } from './codec.js'
import { MAX_HEADER_BYTES } from './layout.js'
import { toIncoming } from './seal.js'
import type { Admission, AdmitHow, EnvelopeVerifier } from './verifier.js'

const EMPTY = new Uint8Array(0)

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
  /** A link's own rules (its MAC check; its opening message). */
  how?: AdmitHow
}

/** A rejection, with the header when it was readable (so a reply can name the request). */
export type ReadError = BorgError & { header?: EnvelopeHeader }

export class EnvelopeReader {
  private pending: Uint8Array = EMPTY
  private admission?: Admission
  private body?: BodyBuffer
  private parts?: PartsHasher
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
        this.admission = this.verifier.admit(parsed.header, parsed.signedPart, this.options.asReply ?? false, this.options.how)
      } catch (error) {
        throw withHeader(error as BorgError, parsed.header)
      }
      const total = parsed.headerLength + parsed.header.bodyLength
      if (this.declaredLength !== undefined && this.declaredLength !== total) {
        this.fail(new BorgError('malformed', `declared length ${this.declaredLength} does not match the envelope's ${total} bytes`))
      }
      const { limits } = this.options
      this.orFail(() => limits?.admit(parsed.header.bodyLength))
      const { bodyLength, bodyType, bodyHash } = parsed.header
      // A parts body is checked part by part against its signed index (parts.ts), each byte hashed once.
      if (bodyType === BodyType.parts) this.parts = new PartsHasher(bodyLength, bodyHash)
      this.body = new BodyBuffer(bodyLength, limits && ((bytes) => limits.reserve(bytes)), this.parts)
      data = this.pending.subarray(parsed.headerLength)
      this.pending = EMPTY
    }
    const body = this.body!
    this.orFail(() => body.write(data))
  }

  /** Run a check (or a write that may be refused); a BorgError from it rejects the message. */
  private orFail(check: () => void): void {
    try {
      check()
    } catch (error) {
      if (!(error instanceof BorgError)) throw error
      this.fail(error)
    }
  }

  /** All bytes are in: check completeness and the body hash, commit to the replay cache. */
  finish(): { header: EnvelopeHeader; incoming: Incoming } {
    const admission = this.admission
    if (!admission) throw this.verifier.reject(new BorgError('malformed', 'malformed envelope: truncated header'))
    const body = this.body!
    if (body.filled < body.length) this.fail(new BorgError('malformed', 'malformed envelope: truncated body'))
    let digest!: Uint8Array
    this.orFail(() => (digest = body.digest()))
    try {
      this.verifier.complete(admission, digest)
    } catch (error) {
      throw withHeader(error as BorgError, admission.header)
    }
    const bytes = body.bytes()
    return { header: admission.header, incoming: toIncoming(admission.header, bytes, admission.senderHex, this.parts?.split(bytes)) }
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

/** Read and verify one envelope held whole in memory (a small HTTP body read at once). */
export function readEnvelopeBytes(bytes: Uint8Array, verifier: EnvelopeVerifier, options: ReaderOptions = {}): { header: EnvelopeHeader; incoming: Incoming } {
  const reader = new EnvelopeReader(verifier, options)
  if (bytes.length > 0) reader.push(bytes)
  return reader.finish()
}
