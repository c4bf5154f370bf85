/**
 * Encoding and strict decoding of the envelope header (layout.ts). Decoding
 * never throws anything but BorgError('malformed' | 'unsupported-version'), and
 * accepts exactly one byte string per header: no optional fields, no slack.
 */
import { BorgError } from '../errors.js'
import { concatBytes, equalBytes, readU64, writeU64 } from '../bytes.js'
import { isValidKeyId, keyIdLength } from '../crypto/key-id.js'
import { BodyType, type Target } from '../wire/message.js'
import {
  FLAG_LINK_MAC,
  FLAG_REPLY_EXPECTED,
  HASH_BYTES,
  ID_BYTES,
  KNOWN_FLAGS,
  LENGTH_BYTES,
  MAGIC,
  PREFIX_BYTES,
  SIGNATURE_BYTES,
  TARGET_NODE,
  TARGET_NONE,
  TARGET_TREE,
  TIMESTAMP_BYTES,
  TREE_ID_BYTES,
  VERSION,
  isValidKind,
} from './layout.js'

export interface EnvelopeHeader {
  expectsReply: boolean
  bodyType: BodyType
  kind: string
  /** Key id of the signer: algorithm byte + public key. */
  sender: Uint8Array
  to: Target
  id: Uint8Array
  /** Request id this replies to; undefined when the ref field is all zero. */
  ref?: Uint8Array
  timestamp: number
  bodyLength: number
  bodyHash: Uint8Array
  signature: Uint8Array
  /** Flag bit 1: `signature` is a link session's MAC, not a signature (absent when clear). */
  linkMac?: true
}

export type UnsignedHeader = Omit<EnvelopeHeader, 'signature'>

const ZERO_ID = new Uint8Array(ID_BYTES)
const TAIL_BYTES = ID_BYTES * 2 + TIMESTAMP_BYTES + LENGTH_BYTES + HASH_BYTES

function isBodyType(value: number): value is BodyType {
  return value === BodyType.binary || value === BodyType.json || value === BodyType.parts
}

function malformed(why: string): BorgError {
  return new BorgError('malformed', `malformed envelope: ${why}`)
}

function checkKeyIdShape(id: Uint8Array, what: string): void {
  if (id.length === 0 || keyIdLength(id[0]!) !== id.length) throw new BorgError('invalid-input', `${what} is not a key id`)
}

/** The bytes the signature covers: the whole header except the signature. */
export function encodeSignedPart(h: UnsignedHeader): Uint8Array {
  if (!isValidKind(h.kind)) throw new BorgError('invalid-input', `invalid message kind ${JSON.stringify(h.kind)}`)
  checkKeyIdShape(h.sender, 'sender')
  if (h.id.length !== ID_BYTES) throw new BorgError('invalid-input', 'message id must be 16 bytes')
  if (h.ref && h.ref.length !== ID_BYTES) throw new BorgError('invalid-input', 'ref must be 16 bytes')
  if (h.bodyHash.length !== HASH_BYTES) throw new BorgError('invalid-input', 'body hash must be 32 bytes')
  if (!isBodyType(h.bodyType)) throw new BorgError('invalid-input', 'unknown body type')
  let target: Uint8Array
  if (h.to.type === 'none') target = Uint8Array.of(TARGET_NONE)
  else if (h.to.type === 'node') {
    checkKeyIdShape(h.to.id, 'node target')
    target = concatBytes(Uint8Array.of(TARGET_NODE), h.to.id)
  } else {
    if (h.to.id.length !== TREE_ID_BYTES) throw new BorgError('invalid-input', 'tree id must be 32 bytes')
    target = concatBytes(Uint8Array.of(TARGET_TREE), h.to.id)
  }
  const kindBytes = new TextEncoder().encode(h.kind)
  const numbers = new Uint8Array(TIMESTAMP_BYTES + LENGTH_BYTES)
  const view = new DataView(numbers.buffer)
  writeU64(view, 0, h.timestamp)
  writeU64(view, TIMESTAMP_BYTES, h.bodyLength)
  return concatBytes(
    MAGIC,
    Uint8Array.of(VERSION, (h.expectsReply ? FLAG_REPLY_EXPECTED : 0) | (h.linkMac ? FLAG_LINK_MAC : 0), h.bodyType, kindBytes.length),
    kindBytes,
    h.sender,
    target,
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

function keyIdAt(bytes: Uint8Array, offset: number, what: string): number | 'incomplete' {
  if (bytes.length <= offset) return 'incomplete'
  const length = keyIdLength(bytes[offset]!)
  if (length === undefined) throw malformed(`${what} uses unknown key algorithm 0x${bytes[offset]!.toString(16)}`)
  return length
}

interface Offsets {
  status: 'ok'
  flags: number
  bodyType: number
  senderOffset: number
  targetOffset: number
  targetCode: number
  idOffset: number
  hashEnd: number
  headerLength: number
}

/** Where a header's fields are (checking only what locating them needs), or how many bytes it needs first. */
function locate(bytes: Uint8Array): Offsets | { status: 'incomplete'; needAtLeast: number } {
  const incomplete = (needAtLeast: number) => ({ status: 'incomplete' as const, needAtLeast })
  if (bytes.length < PREFIX_BYTES) {
    // Reject a wrong magic as early as possible, even on a short prefix.
    const n = Math.min(bytes.length, 4)
    if (!equalBytes(bytes.subarray(0, n), MAGIC.subarray(0, n))) throw malformed('bad magic (not a borg envelope)')
    return incomplete(PREFIX_BYTES)
  }
  if (!equalBytes(bytes.subarray(0, 4), MAGIC)) throw malformed('bad magic (not a borg envelope)')
  const version = bytes[4]!
  if (version !== VERSION) throw new BorgError('unsupported-version', `envelope version ${version} is not supported (this node speaks ${VERSION})`)
  const flags = bytes[5]!
  if ((flags & ~KNOWN_FLAGS) !== 0) throw malformed(`unknown flags 0x${flags.toString(16)}`)
  const bodyType = bytes[6]!
  if (!isBodyType(bodyType)) throw malformed(`unknown body type ${bodyType}`)
  const kindLength = bytes[7]!

  const senderOffset = PREFIX_BYTES + kindLength
  const senderLength = keyIdAt(bytes, senderOffset, 'sender')
  if (senderLength === 'incomplete') return incomplete(senderOffset + 1)
  const targetOffset = senderOffset + senderLength
  if (bytes.length <= targetOffset) return incomplete(targetOffset + 1)
  const targetCode = bytes[targetOffset]!
  let targetLength: number
  if (targetCode === TARGET_NONE) targetLength = 0
  else if (targetCode === TARGET_TREE) targetLength = TREE_ID_BYTES
  else if (targetCode === TARGET_NODE) {
    const length = keyIdAt(bytes, targetOffset + 1, 'node target')
    if (length === 'incomplete') return incomplete(targetOffset + 2)
    targetLength = length
  } else throw malformed(`unknown target type ${targetCode}`)
  const idOffset = targetOffset + 1 + targetLength
  const hashEnd = idOffset + TAIL_BYTES
  const headerLength = hashEnd + SIGNATURE_BYTES
  if (bytes.length < headerLength) return incomplete(headerLength)
  return { status: 'ok', flags, bodyType, senderOffset, targetOffset, targetCode, idOffset, hashEnd, headerLength }
}

/**
 * The lengths of the envelope starting at `bytes` (header, body), or how many
 * bytes are needed first: enough to find where a stream of envelopes sent back
 * to back is cut (splitter.ts). Checks the structure only; parseHeader checks
 * the rest.
 */
export function envelopeExtent(bytes: Uint8Array): { status: 'ok'; headerLength: number; bodyLength: number } | { status: 'incomplete'; needAtLeast: number } {
  const at = locate(bytes)
  if (at.status === 'incomplete') return at
  const bodyLength = readU64(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), at.idOffset + ID_BYTES * 2 + TIMESTAMP_BYTES)
  if (bodyLength === undefined) throw malformed('body length exceeds 2^53-1')
  return { status: 'ok', headerLength: at.headerLength, bodyLength }
}

/**
 * Parse a header from the start of `bytes`. Returns 'incomplete' when more
 * bytes are needed (streamed bodies), throws BorgError on anything invalid.
 */
export function parseHeader(bytes: Uint8Array): HeaderParse {
  const at = locate(bytes)
  if (at.status === 'incomplete') return at
  const { flags, bodyType, senderOffset, targetOffset, targetCode, idOffset, hashEnd, headerLength } = at

  // Plain Uint8Array copies even when given a Buffer, so decoded fields compare equal everywhere.
  const copy = (start: number, end: number) => new Uint8Array(bytes.subarray(start, end))
  let kind = ''
  for (let i = PREFIX_BYTES; i < senderOffset; i++) kind += String.fromCharCode(bytes[i]!)
  if (!isValidKind(kind)) throw malformed('invalid kind')
  const sender = copy(senderOffset, targetOffset)
  if (!isValidKeyId(sender)) throw malformed('sender is not a valid public key')
  const targetId = copy(targetOffset + 1, idOffset)
  if (targetCode === TARGET_NODE && !isValidKeyId(targetId)) throw malformed('node target is not a valid public key')
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
    bodyHash: copy(numbersOffset + TIMESTAMP_BYTES + LENGTH_BYTES, hashEnd),
    signature: copy(hashEnd, headerLength),
  }
  if (flags & FLAG_LINK_MAC) header.linkMac = true
  return { status: 'ok', header, headerLength, signedPart: bytes.subarray(0, hashEnd) }
}
