/**
 * Encoding and strict decoding of the envelope header (layout.ts). Decoding
 * never throws anything but BorgError('malformed' | 'unsupported-version'), and
 * accepts exactly one byte string per header: no optional fields, no slack.
 */
import { BorgError } from '../errors.js'
import { concatBytes, equalBytes, readU64, writeU64 } from '../bytes.js'
import { isValidPublicKey } from '../crypto/secp256k1.js'
import { BodyType, type Target } from '../wire/message.js'
import {
  FLAG_REPLY_EXPECTED,
  HASH_BYTES,
  ID_BYTES,
  KNOWN_FLAGS,
  LENGTH_BYTES,
  MAGIC,
  PREFIX_BYTES,
  SENDER_BYTES,
  SIGNATURE_BYTES,
  TARGET_ID_BYTES,
  TARGET_NODE,
  TARGET_NONE,
  TARGET_TREE,
  TIMESTAMP_BYTES,
  VERSION,
  isValidKind,
} from './layout.js'

export interface EnvelopeHeader {
  expectsReply: boolean
  bodyType: BodyType
  kind: string
  sender: Uint8Array
  to: Target
  id: Uint8Array
  /** Request id this replies to; undefined when the ref field is all zero. */
  ref?: Uint8Array
  timestamp: number
  bodyLength: number
  bodyHash: Uint8Array
  signature: Uint8Array
}

export type UnsignedHeader = Omit<EnvelopeHeader, 'signature'>

const ZERO_ID = new Uint8Array(ID_BYTES)
const TARGET_CODE = { none: TARGET_NONE, node: TARGET_NODE, tree: TARGET_TREE } as const

function malformed(why: string): BorgError {
  return new BorgError('malformed', `malformed envelope: ${why}`)
}

/** The bytes the signature covers: the whole header except the signature. */
export function encodeSignedPart(h: UnsignedHeader): Uint8Array {
  if (!isValidKind(h.kind)) throw new BorgError('invalid-input', `invalid message kind ${JSON.stringify(h.kind)}`)
  if (h.sender.length !== SENDER_BYTES) throw new BorgError('invalid-input', 'sender must be a 33-byte public key')
  if (h.id.length !== ID_BYTES) throw new BorgError('invalid-input', 'message id must be 16 bytes')
  if (h.ref && h.ref.length !== ID_BYTES) throw new BorgError('invalid-input', 'ref must be 16 bytes')
  if (h.bodyHash.length !== HASH_BYTES) throw new BorgError('invalid-input', 'body hash must be 32 bytes')
  if (h.bodyType !== BodyType.binary && h.bodyType !== BodyType.json) throw new BorgError('invalid-input', 'unknown body type')
  const targetCode = TARGET_CODE[h.to.type]
  const targetId = h.to.type === 'none' ? new Uint8Array(0) : h.to.id
  if (targetId.length !== TARGET_ID_BYTES[targetCode]) throw new BorgError('invalid-input', `${h.to.type} target id has the wrong length`)
  const kindBytes = new TextEncoder().encode(h.kind)
  const numbers = new Uint8Array(TIMESTAMP_BYTES + LENGTH_BYTES)
  const view = new DataView(numbers.buffer)
  writeU64(view, 0, h.timestamp)
  writeU64(view, TIMESTAMP_BYTES, h.bodyLength)
  return concatBytes(
    MAGIC,
    Uint8Array.of(VERSION, h.expectsReply ? FLAG_REPLY_EXPECTED : 0, h.bodyType, kindBytes.length),
    kindBytes,
    h.sender,
    Uint8Array.of(targetCode),
    targetId,
    h.id,
    h.ref ?? ZERO_ID,
    numbers,
    h.bodyHash,
  )
}

export function encodeHeader(h: EnvelopeHeader): Uint8Array {
  if (h.signature.length !== SIGNATURE_BYTES) throw new BorgError('invalid-input', 'signature must be 64 bytes')
  return concatBytes(encodeSignedPart(h), h.signature)
}

export type HeaderParse =
  | { status: 'ok'; header: EnvelopeHeader; headerLength: number; signedPart: Uint8Array }
  | { status: 'incomplete'; needAtLeast: number }

/**
 * Parse a header from the start of `bytes`. Returns 'incomplete' when more
 * bytes are needed (streamed bodies), throws BorgError on anything invalid.
 */
export function parseHeader(bytes: Uint8Array): HeaderParse {
  if (bytes.length < PREFIX_BYTES) {
    // Reject wrong magic as early as possible, even on a short prefix.
    if (!equalBytes(bytes.subarray(0, Math.min(bytes.length, 4)), MAGIC.subarray(0, Math.min(bytes.length, 4)))) throw malformed('bad magic')
    return { status: 'incomplete', needAtLeast: PREFIX_BYTES }
  }
  if (!equalBytes(bytes.subarray(0, 4), MAGIC)) throw malformed('bad magic (not a borg envelope)')
  const version = bytes[4]!
  if (version !== VERSION) throw new BorgError('unsupported-version', `envelope version ${version} is not supported (this node speaks ${VERSION})`)
  const flags = bytes[5]!
  if ((flags & ~KNOWN_FLAGS) !== 0) throw malformed(`unknown flags 0x${flags.toString(16)}`)
  const bodyType = bytes[6]!
  if (bodyType !== BodyType.binary && bodyType !== BodyType.json) throw malformed(`unknown body type ${bodyType}`)
  const kindLength = bytes[7]!
  const targetOffset = PREFIX_BYTES + kindLength + SENDER_BYTES
  if (bytes.length < targetOffset + 1) return { status: 'incomplete', needAtLeast: targetOffset + 1 }
  const targetCode = bytes[targetOffset]!
  const targetLength = TARGET_ID_BYTES[targetCode]
  if (targetLength === undefined) throw malformed(`unknown target type ${targetCode}`)
  const idOffset = targetOffset + 1 + targetLength
  const hashEnd = idOffset + ID_BYTES * 2 + TIMESTAMP_BYTES + LENGTH_BYTES + HASH_BYTES
  const headerLength = hashEnd + SIGNATURE_BYTES
  if (bytes.length < headerLength) return { status: 'incomplete', needAtLeast: headerLength }

  // Plain Uint8Array copies even when given a Buffer, so decoded fields compare equal everywhere.
  const copy = (start: number, end: number) => new Uint8Array(bytes.subarray(start, end))
  const kindBytes = bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + kindLength)
  let kind = ''
  for (const b of kindBytes) kind += String.fromCharCode(b)
  if (!isValidKind(kind)) throw malformed('invalid kind')
  const sender = copy(PREFIX_BYTES + kindLength, targetOffset)
  if (!isValidPublicKey(sender)) throw malformed('sender is not a valid compressed secp256k1 public key')
  const targetId = copy(targetOffset + 1, idOffset)
  const to: Target =
    targetCode === TARGET_NODE ? { type: 'node', id: targetId } : targetCode === TARGET_TREE ? { type: 'tree', id: targetId } : { type: 'none' }
  const id = copy(idOffset, idOffset + ID_BYTES)
  const refBytes = copy(idOffset + ID_BYTES, idOffset + ID_BYTES * 2)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const numbersOffset = idOffset + ID_BYTES * 2
  const timestamp = readU64(view, numbersOffset)
  const bodyLength = readU64(view, numbersOffset + TIMESTAMP_BYTES)
  if (timestamp === undefined) throw malformed('timestamp exceeds 2^53-1')
  if (bodyLength === undefined) throw malformed('body length exceeds 2^53-1')
  const bodyHash = copy(numbersOffset + TIMESTAMP_BYTES + LENGTH_BYTES, hashEnd)
  const signature = copy(hashEnd, headerLength)
  const header: EnvelopeHeader = {
    expectsReply: (flags & FLAG_REPLY_EXPECTED) !== 0,
    bodyType: bodyType as BodyType,
    kind,
    sender,
    to,
    id,
    ref: equalBytes(refBytes, ZERO_ID) ? undefined : refBytes,
    timestamp,
    bodyLength,
    bodyHash,
    signature,
  }
  return { status: 'ok', header, headerLength, signedPart: copy(0, hashEnd) }
}
