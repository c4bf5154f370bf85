/**
 * The receiver's acceptance policy: nothing reaches a handler unless it passes
 * every check here. Checks run cheapest first; every rejection is a BorgError
 * with a stable code, is counted, and is reported to `onReject` (for logs).
 *
 * Verification is split in two phases so streamed bodies can be refused before
 * they are read: `admit` checks the header (size, time window, recipient,
 * replay, signature, kind) and reserves the message id; `complete` checks the
 * body hash and commits the id to the replay cache; `abort` releases it.
 */
import { BorgError, type ErrorCode } from '../errors.js'
import { bytesToHex, equalBytes } from '../bytes.js'
import type { Clock } from '../wire/clock.js'
import { parseHeader, type EnvelopeHeader } from './codec.js'
import { ReplayCache } from './replay-cache.js'
import { bodyDigest, checkBodyHash, verifyHeaderSignature } from './seal.js'

export const DEFAULT_WINDOW_MS = 30_000
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
export const DEFAULT_REPLAY_CAPACITY = 200_000

export interface VerifierOptions {
  /** Our own key id: node-targeted messages must name it. */
  localId: Uint8Array
  clock: Clock
  windowMs?: number
  maxBodyBytes?: number
  replayCapacity?: number
  /** Senders the replay cache tracks one by one (see ReplayCache). */
  replaySenders?: number
  /** Which tree/group ids this node accepts messages for; none by default. */
  acceptTree?: (treeId: Uint8Array) => boolean
  /** Which kinds have a handler; all by default. */
  acceptKind?: (kind: string) => boolean
  onReject?: (error: BorgError, header?: EnvelopeHeader) => void
}

/** How a transport authenticates a header other than by its signature alone (a link: net/link-keys.ts). Throws BorgError. */
export type Authenticate = (header: EnvelopeHeader, signedPart: Uint8Array) => void

/** What a transport changes in admission (both default to the plain rules). */
export interface AdmitHow {
  /** Replaces the signature check. */
  authenticate?: Authenticate
  /** The transport itself handles this message (a link's opening): no handler needed. */
  transportKind?: boolean
}

export interface Admission {
  header: EnvelopeHeader
  senderHex: string
  /** The message id as the replay cache keys it ('' for a reply: replies are not recorded). */
  replayId: string
}

export class EnvelopeVerifier {
  readonly windowMs: number
  readonly maxBodyBytes: number
  readonly replay: ReplayCache
  private readonly rejectedCounts = new Map<ErrorCode, number>()
  private acceptedCount = 0

  constructor(private readonly options: VerifierOptions) {
    this.windowMs = options.windowMs ?? DEFAULT_WINDOW_MS
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
    // Entries must outlive the window on both sides of now.
    this.replay = new ReplayCache({
      retainMs: this.windowMs * 2,
      maxEntries: options.replayCapacity ?? DEFAULT_REPLAY_CAPACITY,
      maxSenders: options.replaySenders,
    })
  }

  get accepted(): number {
    return this.acceptedCount
  }

  get rejected(): Readonly<Record<string, number>> {
    return Object.fromEntries(this.rejectedCounts)
  }

  /** Count and report a rejection that happened outside the verifier (e.g. a parse error). */
  reject(error: BorgError, header?: EnvelopeHeader): BorgError {
    this.rejectedCounts.set(error.code, (this.rejectedCounts.get(error.code) ?? 0) + 1)
    this.options.onReject?.(error, header)
    return error
  }

  /**
   * Phase 1: everything that can be checked from the header alone. Throws BorgError.
   * `asReply`: a reply read by the client that sent the request (see below).
   */
  admit(header: EnvelopeHeader, signedPart: Uint8Array, asReply = false, how: AdmitHow = {}): Admission {
    try {
      return this.admitUnchecked(header, signedPart, asReply, how)
    } catch (error) {
      throw error instanceof BorgError ? this.reject(error, header) : error
    }
  }

  private admitUnchecked(header: EnvelopeHeader, signedPart: Uint8Array, asReply: boolean, how: AdmitHow): Admission {
    if (header.bodyLength > this.maxBodyBytes) {
      throw new BorgError('too-large', `${header.kind} body of ${header.bodyLength} bytes exceeds the limit of ${this.maxBodyBytes}`)
    }
    const senderHex = bytesToHex(header.sender)
    const replayId = bytesToHex(header.id)
    // A reply is bound to the request it answers (ref = our fresh request id), so
    // neither the time window nor the replay cache adds anything; skipping them
    // lets a node whose clock is far off read the answer that says so.
    if (!asReply) {
      const now = this.options.clock.now()
      if (header.timestamp < now - this.windowMs) {
        throw new BorgError('expired', `${header.kind} message is ${Math.round(now - header.timestamp)} ms old (window ±${this.windowMs} ms)`)
      }
      if (header.timestamp > now + this.windowMs) {
        throw new BorgError('from-future', `${header.kind} message is ${Math.round(header.timestamp - now)} ms in the future (window ±${this.windowMs} ms)`)
      }
    }
    this.checkRecipient(header)
    if (!asReply) this.checkReplay(header, this.replay.check(senderHex, replayId, header.timestamp))
    const authenticate = how.authenticate ?? verifyHeaderSignature
    authenticate(header, signedPart)
    if (!asReply && !how.transportKind && this.options.acceptKind && !this.options.acceptKind(header.kind)) {
      throw new BorgError('unknown-kind', `no handler for message kind ${header.kind}`)
    }
    if (!asReply) this.checkReplay(header, this.replay.reserve(senderHex, replayId, header.timestamp))
    return { header, senderHex, replayId: asReply ? '' : replayId }
  }

  /** Phase 2: the body arrived and hashed to `bodyHash`. Throws BorgError. */
  complete(admission: Admission, bodyHash: Uint8Array): void {
    try {
      checkBodyHash(admission.header, bodyHash)
    } catch (error) {
      this.replay.release(admission.senderHex, admission.replayId)
      throw this.reject(error as BorgError, admission.header)
    }
    if (admission.replayId) this.replay.commit(admission.senderHex, admission.replayId, admission.header.timestamp, this.options.clock.now())
    this.acceptedCount++
  }

  /** The body never arrived (connection dropped, too large, ...). */
  abort(admission: Admission, error?: BorgError): void {
    this.replay.release(admission.senderHex, admission.replayId)
    if (error) this.reject(error, admission.header)
  }

  /** Verify a complete envelope held in memory. Throws BorgError. */
  verifyBytes(bytes: Uint8Array, asReply = false): { header: EnvelopeHeader; body: Uint8Array; senderHex: string } {
    let parsed: ReturnType<typeof parseHeader>
    try {
      parsed = parseHeader(bytes)
      if (parsed.status === 'incomplete') throw new BorgError('malformed', 'malformed envelope: truncated header')
      const end = parsed.headerLength + parsed.header.bodyLength
      if (bytes.length !== end) {
        throw new BorgError('malformed', `malformed envelope: ${bytes.length < end ? 'truncated body' : 'trailing bytes after body'}`)
      }
    } catch (error) {
      throw error instanceof BorgError ? this.reject(error) : error
    }
    const admission = this.admit(parsed.header, parsed.signedPart, asReply)
    const body = bytes.subarray(parsed.headerLength)
    let digest: Uint8Array
    try {
      digest = bodyDigest(parsed.header, body)
    } catch (error) {
      if (error instanceof BorgError) this.abort(admission, error)
      throw error
    }
    this.complete(admission, digest)
    return { header: parsed.header, body, senderHex: admission.senderHex }
  }

  private checkRecipient(header: EnvelopeHeader): void {
    const to = header.to
    if (to.type === 'node' && !equalBytes(to.id, this.options.localId)) {
      throw new BorgError('wrong-recipient', `${header.kind} message is addressed to another node`)
    }
    if (to.type === 'tree' && !(this.options.acceptTree?.(to.id) ?? false)) {
      throw new BorgError('wrong-recipient', `${header.kind} message is addressed to tree ${bytesToHex(to.id).slice(0, 16)}… which this node is not in`)
    }
  }

  private checkReplay(header: EnvelopeHeader, verdict: 'fresh' | 'seen' | 'below-floor'): void {
    if (verdict === 'seen') throw new BorgError('replay', `${header.kind} message ${bytesToHex(header.id)} was already received`)
    if (verdict === 'below-floor') {
      throw new BorgError('replay', `${header.kind} message is at or below this sender's replay floor (it sent more than this node remembers within the window); resend with a fresh timestamp`)
    }
  }
}
