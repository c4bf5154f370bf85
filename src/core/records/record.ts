/**
 * A record (docs/records.md, docs/protocol.md §12.1): a signed canonical
 * document in a named collection. Its id is the SHA-256 of its bytes before
 * the signature, so one document is one record however often it is sent, and
 * reconciliation (negentropy.ts) works over (created, id).
 *
 * Layout ("BREC", version 1), integers big-endian:
 *   magic · version · kind (1 record, 2 deletion) · collection length (u8) ·
 *   collection (ASCII) · author (key id) · created (u64 s) · expires (u64 s,
 *   0: the collection's retention only) · content type (1 JSON, 2 bytes) ·
 *   content length (u32) · content · signature (64)
 *
 * A deletion (a tombstone) is signed by the author of the record it deletes
 * and carries that record's id as its 32-byte content.
 */
import { BorgError } from '../errors.js'
import { bytesToHex, concatBytes, equalBytes, utf8 } from '../bytes.js'
import { sha256 } from '../crypto/hash.js'
import { isValidKeyId, verifyByKeyId } from '../crypto/key-id.js'
import { ByteReader } from '../ledger/byte-reader.js'

export const RECORD_MAGIC = Uint8Array.of(0x42, 0x52, 0x45, 0x43) // "BREC"
export const RECORD_VERSION = 1
/** Most content bytes a record may carry (a collection may allow less). */
export const MAX_CONTENT_BYTES = 64 * 1024
export const MAX_COLLECTION_LENGTH = 64
const COLLECTION = /^[a-z0-9][a-z0-9._-]{0,63}$/

export const RecordKind = { record: 1, deletion: 2 } as const
export const ContentType = { json: 1, bytes: 2 } as const
export type RecordKindName = keyof typeof RecordKind
export type ContentTypeName = keyof typeof ContentType
const KIND_NAMES: Record<number, RecordKindName> = { 1: 'record', 2: 'deletion' }
const TYPE_NAMES: Record<number, ContentTypeName> = { 1: 'json', 2: 'bytes' }

export interface UnsignedRecord {
  kind: RecordKindName
  collection: string
  author: Uint8Array
  /** Seconds since the Unix epoch. */
  created: number
  /** Seconds since the Unix epoch after which the record leaves every set; 0: the collection's retention decides. */
  expires: number
  contentType: ContentTypeName
  content: Uint8Array
}

export interface SignedRecord {
  record: UnsignedRecord & { signature: Uint8Array }
  /** SHA-256 of the bytes before the signature. */
  id: Uint8Array
  bytes: Uint8Array
}

export function isCollectionName(name: string): boolean {
  return COLLECTION.test(name)
}

function checkShape(r: UnsignedRecord): void {
  if (!isCollectionName(r.collection)) throw malformed('a collection name is 1 to 64 of a-z 0-9 . _ - (starting with a letter or digit)')
  if (!isValidKeyId(r.author)) throw malformed('the author is not a valid key id')
  for (const [name, t] of [['created', r.created], ['expires', r.expires]] as const) {
    if (!Number.isSafeInteger(t) || t < 0) throw malformed(`${name} must be whole seconds since 1970`)
  }
  if (r.expires !== 0 && r.expires <= r.created) throw malformed('a record expires after it is created')
  if (r.content.length > MAX_CONTENT_BYTES) throw new BorgError('too-large', `record content of ${r.content.length} bytes; at most ${MAX_CONTENT_BYTES}`)
  if (r.kind === 'deletion') {
    if (r.contentType !== 'bytes' || r.content.length !== 32) throw malformed('a deletion carries the 32-byte id of the record it deletes')
  } else if (r.contentType === 'json') {
    try {
      JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(r.content))
    } catch {
      throw malformed('JSON content is not valid UTF-8 JSON')
    }
  }
}

export function encodeUnsignedRecord(r: UnsignedRecord): Uint8Array {
  checkShape(r)
  const collection = utf8.encode(r.collection)
  const head = new Uint8Array(4 + 1 + 1 + 1)
  head.set(RECORD_MAGIC)
  head[4] = RECORD_VERSION
  head[5] = RecordKind[r.kind]
  head[6] = collection.length
  const times = new Uint8Array(16 + 1 + 4)
  const view = new DataView(times.buffer)
  view.setBigUint64(0, BigInt(r.created))
  view.setBigUint64(8, BigInt(r.expires))
  times[16] = ContentType[r.contentType]
  view.setUint32(17, r.content.length)
  return concatBytes(head, collection, r.author, times, r.content)
}

export function signRecord(r: UnsignedRecord, signer: { keyId: Uint8Array; sign(message: Uint8Array): Uint8Array }): SignedRecord {
  if (!equalBytes(signer.keyId, r.author)) throw new BorgError('invalid-input', 'a record is signed by its author')
  const unsigned = encodeUnsignedRecord(r)
  const signature = signer.sign(unsigned)
  return { record: { ...r, signature }, id: sha256(unsigned), bytes: concatBytes(unsigned, signature) }
}

/** Decode strictly and check the author's signature: `malformed`, `too-large`, `bad-signature`, `unsupported-version`. */
export function decodeRecord(bytes: Uint8Array): SignedRecord {
  const r = new ByteReader(bytes, 'record')
  if (!equalBytes(r.take(4, 'magic'), RECORD_MAGIC)) throw malformed('not a record (bad magic)')
  const version = r.u8('version')
  if (version !== RECORD_VERSION) throw new BorgError('unsupported-version', `record version ${version} (this node reads ${RECORD_VERSION})`)
  const kind = KIND_NAMES[r.u8('kind')]
  if (!kind) throw malformed('unknown kind')
  const collectionBytes = r.take(r.u8('collection length'), 'collection')
  const collection = String.fromCharCode(...collectionBytes)
  const author = r.keyId('author')
  const created = r.u64('created')
  const expires = r.u64('expires')
  if (created > BigInt(Number.MAX_SAFE_INTEGER) || expires > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed('a time beyond 2^53 - 1 seconds')
  const contentType = TYPE_NAMES[r.u8('content type')]
  if (!contentType) throw malformed('unknown content type')
  const length = r.u32('content length')
  if (length > MAX_CONTENT_BYTES) throw new BorgError('too-large', `record content of ${length} bytes; at most ${MAX_CONTENT_BYTES}`)
  const content = r.take(length, 'content')
  const signedLength = r.at
  const signature = r.take(64, 'signature')
  r.end('the signature')
  const record = { kind, collection, author, created: Number(created), expires: Number(expires), contentType, content, signature }
  checkShape(record)
  const unsigned = bytes.subarray(0, signedLength)
  const id = sha256(unsigned)
  if (!verifyByKeyId(author, signature, unsigned)) throw new BorgError('bad-signature', `record ${bytesToHex(id).slice(0, 16)}… is not signed by its author`)
  return { record, id, bytes: Uint8Array.from(bytes) }
}

/** A record's JSON content, parsed (undefined for byte content). */
export function jsonContent(r: UnsignedRecord): unknown {
  return r.contentType === 'json' ? JSON.parse(utf8.decode(r.content)) : undefined
}

/** The id a deletion deletes. */
export function deletedId(r: UnsignedRecord): Uint8Array | undefined {
  return r.kind === 'deletion' ? r.content : undefined
}

function malformed(message: string): BorgError {
  return new BorgError('malformed', `record: ${message}`)
}
