/**
 * Sealing (sign + encode) and opening (decode + verify the signature and body
 * hash) of complete envelopes. Freshness, replay and recipient checks are the
 * receiver's policy and live in verifier.ts.
 */
import { BorgError } from '../errors.js'
import { concatBytes, equalBytes } from '../bytes.js'
import { sha256 } from '../crypto/hash.js'
import { verifyByKeyId } from '../crypto/key-id.js'
import { BodyType, NO_TARGET, type Incoming, type Outgoing } from '../wire/message.js'
import type { Random } from '../wire/random.js'
import { encodeSignedPart, parseHeader, type EnvelopeHeader } from './codec.js'
import { ID_BYTES } from './layout.js'
import { openParts } from './parts.js'

/** Anything that can sign envelopes: its key id and a signature function for that algorithm. */
export interface EnvelopeSigner {
  /** Algorithm byte + public key (src/core/crypto/key-id.ts). */
  keyId: Uint8Array
  /** 64-byte signature over `message` as the key id's algorithm defines it (or a link MAC, below). */
  sign(message: Uint8Array): Uint8Array
  /** `sign` is a link session's MAC (net/link-keys.ts): sealed envelopes carry flag bit 1. */
  readonly linkMac?: true
}

export interface SealOptions {
  expectsReply?: boolean
  ref?: Uint8Array
  timestamp: number
  /** Defaults to 16 fresh random bytes. */
  id?: Uint8Array
  random: Random
}

export interface Sealed {
  header: EnvelopeHeader
  headerBytes: Uint8Array
  body: Uint8Array
  /** A parts body's parts, sent after `body` (the index). */
  parts: readonly Uint8Array[]
}

const NO_PARTS: readonly Uint8Array[] = []

const EMPTY = new Uint8Array(0)

export function seal(signer: EnvelopeSigner, message: Outgoing, options: SealOptions): Sealed {
  const body = message.body ?? EMPTY
  // An absent body is an empty binary body (an empty "JSON" body would not parse).
  const bodyType = message.body ? (message.bodyType ?? BodyType.binary) : BodyType.binary
  if (message.parts && bodyType !== BodyType.parts) throw new BorgError('invalid-input', `${message.kind}: parts need body type parts`)
  const parts = message.parts ?? NO_PARTS
  let bodyLength = body.length
  for (const part of parts) bodyLength += part.length
  const unsigned = {
    expectsReply: options.expectsReply ?? false,
    bodyType,
    kind: message.kind,
    sender: signer.keyId,
    to: message.to ?? NO_TARGET,
    id: options.id ?? options.random.bytes(ID_BYTES),
    ref: options.ref,
    timestamp: Math.floor(options.timestamp),
    bodyLength,
    // A parts body's hash is that of its index, `body` (parts.ts).
    bodyHash: message.bodyHash ?? sha256(body),
    ...(signer.linkMac ? { linkMac: true as const } : {}),
  }
  const signedPart = encodeSignedPart(unsigned)
  const signature = signer.sign(signedPart)
  const header = { ...unsigned, signature }
  return { header, headerBytes: concatBytes(signedPart, signature), body, parts }
}

export function sealToBytes(signer: EnvelopeSigner, message: Outgoing, options: SealOptions): Uint8Array {
  const sealed = seal(signer, message, options)
  return concatBytes(sealed.headerBytes, sealed.body, ...sealed.parts)
}

/** Total bytes of a sealed envelope on the wire. */
export function sealedLength(sealed: Sealed): number {
  return sealed.headerBytes.length + sealed.header.bodyLength
}

/** Check the header's signature over its signed part. */
export function verifyHeaderSignature(header: EnvelopeHeader, signedPart: Uint8Array): void {
  // A link MAC proves nothing off its link, where only the link's own check (net/link-keys.ts) can test it.
  if (header.linkMac) throw new BorgError('bad-signature', `${header.kind} message is authenticated by a link session, not signed: it is valid only on its link`)
  if (!verifyByKeyId(header.sender, header.signature, signedPart)) {
    throw new BorgError('bad-signature', `bad signature on ${header.kind} message`)
  }
}

/** What a complete body's signed hash must equal: SHA-256 of the body, or of a parts body's index (each part checked against it). */
export function bodyDigest(header: EnvelopeHeader, body: Uint8Array): Uint8Array {
  return header.bodyType === BodyType.parts ? openParts(body).indexHash : sha256(body)
}

export function checkBodyHash(header: EnvelopeHeader, bodyHash: Uint8Array): void {
  if (!equalBytes(bodyHash, header.bodyHash)) {
    throw new BorgError('body-hash-mismatch', `body of ${header.kind} message does not match its signed hash`)
  }
}

/**
 * Decode a complete envelope (header + body, nothing after it) and verify its
 * signature and body hash. Does not check time, replay or recipient.
 */
export function open(bytes: Uint8Array): { header: EnvelopeHeader; body: Uint8Array } {
  const parsed = parseHeader(bytes)
  if (parsed.status === 'incomplete') throw new BorgError('malformed', 'malformed envelope: truncated header')
  const { header, headerLength, signedPart } = parsed
  const expectedLength = headerLength + header.bodyLength
  if (bytes.length < expectedLength) throw new BorgError('malformed', 'malformed envelope: truncated body')
  if (bytes.length > expectedLength) throw new BorgError('malformed', 'malformed envelope: trailing bytes after body')
  verifyHeaderSignature(header, signedPart)
  const body = bytes.subarray(headerLength, expectedLength)
  checkBodyHash(header, bodyDigest(header, body))
  return { header, body }
}

/** The protocol-facing view of a verified envelope. */
export function toIncoming(header: EnvelopeHeader, body: Uint8Array, senderHex: string, split?: Incoming['split']): Incoming {
  const incoming: Incoming = {
    kind: header.kind,
    from: header.sender,
    fromHex: senderHex,
    to: header.to,
    id: header.id,
    ref: header.ref,
    timestamp: header.timestamp,
    body,
    bodyType: header.bodyType,
    expectsReply: header.expectsReply,
    bodyHash: header.bodyHash,
  }
  if (split) incoming.split = split
  return incoming
}
