/**
 * Parts bodies (body type 2, docs/protocol.md §2.7): a JSON head and a list of
 * content-addressed parts in one envelope, so many chunks travel under one
 * signature while every byte is still checked against a hash its sender
 * signed, and hashed only once.
 *
 *   4        head length h, u32
 *   h        head: UTF-8 JSON, or nothing (h = 0)
 *   4        part count c, u32
 *   c × 36   per part: SHA-256 of its bytes (32), its length (u32)
 *   ...      the parts' bytes, in order
 *
 * The first 8 + h + 36c bytes are the *index*; the envelope's body hash is the
 * SHA-256 of the index (not of the whole body). The signature covers the
 * index's hash, the index names every part's hash, so each part is checked
 * against its own entry as it streams in.
 */
import { BorgError } from '../errors.js'
import { bytesToHex, equalBytes } from '../bytes.js'
import { sha256, sha256Stream } from '../crypto/hash.js'
import type { Part } from '../wire/message.js'

export const MAX_HEAD_BYTES = 64 * 1024
export const MAX_PARTS = 4096
const ENTRY_BYTES = 36

export interface PartEntry {
  hash: Uint8Array
  length: number
}

/** A part whose bytes are not what its entry names; `details.partHash` says which (a reader blames that chunk alone). */
function partMismatch(index: number, hash: Uint8Array): BorgError {
  return new BorgError('body-hash-mismatch', `part ${index} does not match its hash in the index`, { details: { partHash: bytesToHex(hash) } })
}

/** The part a refusal blames (a BorgError from PartsHasher, or one that wraps it as its cause), if any. */
export function blamedPart(error: unknown): string | undefined {
  for (let e = error; e instanceof BorgError; e = (e as { cause?: unknown }).cause) {
    const hash = e.details?.partHash
    if (e.code === 'body-hash-mismatch' && typeof hash === 'string') return hash
  }
  return undefined
}

function malformed(why: string): BorgError {
  return new BorgError('malformed', `malformed parts body: ${why}`)
}

/** The index (head, count, entries) a sender puts before the parts' bytes. */
export function encodePartsIndex(head: Uint8Array, entries: readonly PartEntry[]): Uint8Array {
  if (head.length > MAX_HEAD_BYTES) throw new BorgError('invalid-input', `parts head of ${head.length} bytes exceeds ${MAX_HEAD_BYTES}`)
  if (entries.length > MAX_PARTS) throw new BorgError('invalid-input', `${entries.length} parts exceed ${MAX_PARTS}`)
  const index = new Uint8Array(8 + head.length + ENTRY_BYTES * entries.length)
  const view = new DataView(index.buffer)
  view.setUint32(0, head.length)
  index.set(head, 4)
  view.setUint32(4 + head.length, entries.length)
  let at = 8 + head.length
  for (const entry of entries) {
    if (entry.hash.length !== 32) throw new BorgError('invalid-input', 'part hash must be 32 bytes')
    if (!(Number.isSafeInteger(entry.length) && entry.length >= 0 && entry.length <= 0xffffffff)) throw new BorgError('invalid-input', `bad part length ${entry.length}`)
    index.set(entry.hash, at)
    view.setUint32(at + 32, entry.length)
    at += ENTRY_BYTES
  }
  return index
}

interface ParsedIndex {
  head: Uint8Array
  entries: PartEntry[]
  indexLength: number
}

/**
 * Parse the index from the start of `bytes` for a body of `bodyLength` bytes:
 * undefined while incomplete; throws `malformed` when the bounds or the
 * lengths do not add up to the body length.
 */
function parseIndex(bytes: Uint8Array, bodyLength: number): ParsedIndex | undefined {
  if (bytes.length < 4) return undefined
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headLength = view.getUint32(0)
  if (headLength > MAX_HEAD_BYTES) throw malformed(`head of ${headLength} bytes exceeds ${MAX_HEAD_BYTES}`)
  if (bytes.length < 8 + headLength) return undefined
  const count = view.getUint32(4 + headLength)
  if (count > MAX_PARTS) throw malformed(`${count} parts exceed ${MAX_PARTS}`)
  const indexLength = 8 + headLength + ENTRY_BYTES * count
  if (indexLength > bodyLength) throw malformed('index longer than the body')
  if (bytes.length < indexLength) return undefined
  const entries: PartEntry[] = []
  let total = indexLength
  for (let at = 8 + headLength; at < indexLength; at += ENTRY_BYTES) {
    const length = view.getUint32(at + 32)
    entries.push({ hash: bytes.slice(at, at + 32), length })
    total += length
  }
  if (total !== bodyLength) throw malformed(`index and parts make ${total} bytes, the envelope says ${bodyLength}`)
  return { head: bytes.slice(4, 4 + headLength), entries, indexLength }
}

/** Upper bound of an index, so a receiver knows how much it may buffer before the index is complete. */
const MAX_INDEX_BYTES = 8 + MAX_HEAD_BYTES + ENTRY_BYTES * MAX_PARTS

/**
 * Hashes a parts body as it streams in (BodyBuffer's hasher): the index's
 * hash is checked against the signed body hash as soon as the index is in,
 * each part against its entry as soon as its last byte is. `digest()` is the
 * index hash, for the verifier's final comparison.
 */
export class PartsHasher {
  private indexBytes = new Uint8Array(0)
  private index?: ParsedIndex
  private indexHash?: Uint8Array
  private part = 0
  private partFilled = 0
  private partHash = sha256Stream()

  constructor(
    private readonly bodyLength: number,
    private readonly signedHash: Uint8Array,
  ) {}

  update(data: Uint8Array): void {
    let offset = 0
    if (!this.index) {
      const want = Math.min(MAX_INDEX_BYTES, this.bodyLength) - this.indexBytes.length
      const take = data.subarray(0, Math.min(want, data.length))
      const joined = new Uint8Array(this.indexBytes.length + take.length)
      joined.set(this.indexBytes)
      joined.set(take, this.indexBytes.length)
      const index = parseIndex(joined, this.bodyLength)
      if (!index) {
        if (joined.length >= Math.min(MAX_INDEX_BYTES, this.bodyLength)) throw malformed('index incomplete')
        this.indexBytes = joined
        return
      }
      this.index = index
      offset = index.indexLength - this.indexBytes.length
      this.indexBytes = new Uint8Array(0)
      this.indexHash = sha256(joined.subarray(0, index.indexLength))
      if (!equalBytes(this.indexHash, this.signedHash)) throw new BorgError('body-hash-mismatch', 'parts index does not match its signed hash')
      this.skipEmptyParts()
    }
    const entries = this.index.entries
    while (offset < data.length) {
      const entry = entries[this.part]
      if (!entry) throw malformed('bytes after the last part')
      const n = Math.min(entry.length - this.partFilled, data.length - offset)
      this.partHash.update(data.subarray(offset, offset + n))
      this.partFilled += n
      offset += n
      if (this.partFilled === entry.length) this.closePart()
    }
  }

  private closePart(): void {
    const entry = this.index!.entries[this.part]!
    if (!equalBytes(this.partHash.digest(), entry.hash)) throw partMismatch(this.part, entry.hash)
    this.part++
    this.partFilled = 0
    this.partHash = sha256Stream()
    this.skipEmptyParts()
  }

  /** Zero-length parts complete as soon as they are reached. */
  private skipEmptyParts(): void {
    const entries = this.index!.entries
    while (this.part < entries.length && entries[this.part]!.length === 0 && this.partFilled === 0) {
      if (!equalBytes(this.partHash.digest(), entries[this.part]!.hash)) throw partMismatch(this.part, entries[this.part]!.hash)
      this.part++
      this.partHash = sha256Stream()
    }
  }

  /** The index hash, once every part is in and checked. */
  digest(): Uint8Array {
    if (!this.index || this.part < this.index.entries.length) throw malformed('truncated')
    return this.indexHash!
  }

  /** The head and parts as views into the complete body. */
  split(body: Uint8Array): { head: Uint8Array; parts: Part[] } {
    return viewParts(this.index!, body)
  }
}

function viewParts(index: ParsedIndex, body: Uint8Array): { head: Uint8Array; parts: Part[] } {
  let at = index.indexLength
  const parts = index.entries.map((entry) => {
    const bytes = body.subarray(at, at + entry.length)
    at += entry.length
    return { hash: entry.hash, bytes }
  })
  return { head: index.head, parts }
}

/**
 * A complete parts body checked in one go (a stored envelope, the simulator):
 * returns its index hash (what the envelope's body hash must be), head and
 * parts; throws `body-hash-mismatch` when a part does not match its entry.
 */
export function openParts(body: Uint8Array): { indexHash: Uint8Array; head: Uint8Array; parts: Part[] } {
  const index = parseIndex(body.subarray(0, MAX_INDEX_BYTES), body.length)
  if (!index) throw malformed('truncated index')
  const { head, parts } = viewParts(index, body)
  parts.forEach((part, k) => {
    if (!equalBytes(sha256(part.bytes), part.hash)) throw partMismatch(k, part.hash)
  })
  return { indexHash: sha256(body.subarray(0, index.indexLength)), head, parts }
}
