/**
 * Verifies an envelope while it streams in: the header is parsed and admitted
 * (size, window, recipient, replay, signature, kind) as soon as its bytes are
 * there, so a bad or oversized message is refused before its body is read; the
 * body is then hashed chunk by chunk into a buffer of the announced size (one
 * copy, hashing overlapped with the network). Used by both ends of HTTPS.
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

/** A rejection, with the header when it was readable (so a reply can name the request). */
export type ReadError = BorgError & { header?: EnvelopeHeader }

export class EnvelopeReader {
  private pending: Uint8Array = EMPTY
  private admission?: Admission
  private body: Uint8Array = EMPTY
  private filled = 0
  private hashed = 0
  private readonly hash = sha256Stream()

  /** `declaredLength`: the transport's own length (Content-Length) when it has one; `asReply`: see EnvelopeVerifier.admit. */
  constructor(
    private readonly verifier: EnvelopeVerifier,
    private readonly declaredLength?: number,
    private readonly asReply = false,
  ) {
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
        this.admission = this.verifier.admit(parsed.header, parsed.signedPart, this.asReply)
      } catch (error) {
        throw withHeader(error as BorgError, parsed.header)
      }
      const total = parsed.headerLength + parsed.header.bodyLength
      if (this.declaredLength !== undefined && this.declaredLength !== total) {
        this.fail(new BorgError('malformed', `declared length ${this.declaredLength} does not match the envelope's ${total} bytes`))
      }
      // Not from Buffer's shared pool: a body must never expose other messages' bytes.
      this.body = parsed.header.bodyLength === 0 ? EMPTY : Buffer.allocUnsafeSlow(parsed.header.bodyLength)
      data = this.pending.subarray(parsed.headerLength)
      this.pending = EMPTY
    }
    if (this.filled + data.length > this.body.length) this.fail(new BorgError('malformed', 'malformed envelope: trailing bytes after body'))
    this.body.set(data, this.filled)
    this.filled += data.length
    // Hash in large slices of the body buffer: per-call overhead on 16-64 KiB
    // network chunks costs ~35% of SHA-256 throughput.
    if (this.filled - this.hashed >= HASH_SLICE) this.hashFilled()
  }

  private hashFilled(): void {
    this.hash.update(this.body.subarray(this.hashed, this.filled))
    this.hashed = this.filled
  }

  /** All bytes are in: check completeness and the body hash, commit to the replay cache. */
  finish(): { header: EnvelopeHeader; incoming: Incoming } {
    const admission = this.admission
    if (!admission) throw this.verifier.reject(new BorgError('malformed', 'malformed envelope: truncated header'))
    if (this.filled < this.body.length) this.fail(new BorgError('malformed', 'malformed envelope: truncated body'))
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
  declaredLength?: number,
  asReply = false,
): Promise<{ header: EnvelopeHeader; incoming: Incoming }> {
  const reader = new EnvelopeReader(verifier, declaredLength, asReply)
  try {
    for await (const chunk of chunks) reader.push(chunk)
  } catch (error) {
    if (error instanceof BorgError) throw error
    reader.abort(new BorgError('unavailable', `connection closed while receiving: ${(error as Error).message}`))
  }
  return reader.finish()
}
