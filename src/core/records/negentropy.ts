/**
 * Range-based set reconciliation, Negentropy protocol v1 (written from
 * hoytech/negentropy docs/negentropy-protocol-v1.md; docs/protocol.md §12.2).
 * Two sides holding sets of (timestamp, 32-byte id) items find what each
 * lacks in O(differences · log n) round trips and bytes: ranges whose
 * fingerprints match are skipped, the others split in 16 or, when small,
 * sent as id lists.
 *
 * Sans-I/O: `Negentropy` turns messages into messages. The client calls
 * `initiate()`, sends, and feeds each reply to `reconcile()`, which hands
 * back the next message (undefined: done) and the ids the client has that
 * the server lacks (`have`) and the other way round (`need`). The server
 * answers each message with `reconcile()`'s reply.
 */
import { bytesToHex, concatBytes, equalBytes } from '../bytes.js'
import { sha256 } from '../crypto/hash.js'

export const PROTOCOL_VERSION = 0x61
export const ID_BYTES = 32
export const FINGERPRINT_BYTES = 16
/** The timestamp that means "the end of the space" (u64 max in the spec; no item may carry it). */
export const INFINITY = Number.MAX_SAFE_INTEGER
const BUCKETS = 16
/** Smallest frame limit the spec's reference accepts; 0 means no limit. */
export const MIN_FRAME_LIMIT = 4096

const Mode = { skip: 0, fingerprint: 1, idList: 2 } as const

export interface Item {
  /** Seconds (or any u64 below 2^53 - 1): the first sort key. */
  timestamp: number
  id: Uint8Array
}

interface Bound {
  timestamp: number
  /** 0 to 32 bytes; missing trailing bytes are zeros. */
  prefix: Uint8Array
}

/** Order of the item space: timestamp, then id bytes. */
export function compareItems(a: Item, b: Item): number {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp ? -1 : 1
  return compareBytes(a.id, b.id)
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1
}

/** Whether `item` sorts before `bound` (bounds are exclusive upper limits). */
function itemBelow(item: Item, bound: Bound): boolean {
  if (item.timestamp !== bound.timestamp) return item.timestamp < bound.timestamp
  for (let i = 0; i < ID_BYTES; i++) {
    const b = i < bound.prefix.length ? bound.prefix[i]! : 0
    if (item.id[i] !== b) return item.id[i]! < b
  }
  return false
}

/**
 * A sorted set of items with range fingerprints: what one side reconciles over. Insertion keeps
 * the order; a fingerprint costs a pass over its range (like the reference's vector storage).
 */
export class SortedItems {
  private items: Item[] = []
  private sealed = true

  constructor(items: Iterable<Item> = []) {
    for (const item of items) this.items.push(checkItem(item))
    this.sealed = false
    this.seal()
  }

  get size(): number {
    this.seal()
    return this.items.length
  }

  /** Add an item (no-op when present). Items added in a burst are sorted once, on the next read. */
  add(item: Item): void {
    this.items.push(checkItem(item))
    this.sealed = false
  }

  remove(item: Item): boolean {
    this.seal()
    const at = this.indexOf(item)
    if (at < 0) return false
    this.items.splice(at, 1)
    return true
  }

  has(item: Item): boolean {
    this.seal()
    return this.indexOf(item) >= 0
  }

  at(index: number): Item {
    this.seal()
    return this.items[index]!
  }

  /** Items in order. */
  all(): readonly Item[] {
    this.seal()
    return this.items
  }

  private indexOf(item: Item): number {
    const at = this.lowerBound(0, this.items.length, (x) => compareItems(x, item) < 0)
    return at < this.items.length && compareItems(this.items[at]!, item) === 0 ? at : -1
  }

  /** First index in [begin, end) whose item is not below `bound`. */
  findBound(begin: number, end: number, bound: Bound): number {
    this.seal()
    return this.lowerBound(begin, end, (x) => itemBelow(x, bound))
  }

  private lowerBound(begin: number, end: number, below: (x: Item) => boolean): number {
    let lo = begin
    let hi = end
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (below(this.items[mid]!)) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** SHA-256(Σ ids mod 2^256, little-endian · varint count), first 16 bytes. */
  fingerprint(begin: number, end: number): Uint8Array {
    this.seal()
    // Per 32-bit limb sums without carries (exact in a double up to 2^21 items), then one carry pass.
    const limbs = new Array<number>(8).fill(0)
    let pending = 0
    const sum = new Uint8Array(ID_BYTES)
    const sumView = new DataView(sum.buffer)
    const flush = () => {
      let carry = 0
      for (let j = 0; j < 8; j++) {
        const total = sumView.getUint32(j * 4, true) + limbs[j]! + carry
        sumView.setUint32(j * 4, total % 0x1_0000_0000, true)
        carry = Math.floor(total / 0x1_0000_0000)
        limbs[j] = 0
      }
      pending = 0
    }
    for (let i = begin; i < end; i++) {
      const id = this.items[i]!.id
      const view = new DataView(id.buffer, id.byteOffset, ID_BYTES)
      for (let j = 0; j < 8; j++) limbs[j]! += view.getUint32(j * 4, true)
      if (++pending === 1 << 20) flush()
    }
    flush()
    return sha256(sum, encodeVarint(end - begin)).subarray(0, FINGERPRINT_BYTES)
  }

  private seal(): void {
    if (this.sealed) return
    this.items.sort(compareItems)
    // Drop repeats (the same item added twice).
    let out = 0
    for (let i = 0; i < this.items.length; i++) {
      if (out > 0 && compareItems(this.items[out - 1]!, this.items[i]!) === 0) continue
      this.items[out++] = this.items[i]!
    }
    this.items.length = out
    this.sealed = true
  }
}

function checkItem(item: Item): Item {
  if (item.id.length !== ID_BYTES) throw new NegentropyError(`an item id is ${ID_BYTES} bytes`)
  if (!Number.isSafeInteger(item.timestamp) || item.timestamp < 0 || item.timestamp >= INFINITY) throw new NegentropyError('an item timestamp is a whole number below 2^53 - 1')
  return item
}

export class NegentropyError extends Error {}

export function encodeVarint(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new NegentropyError(`varint of ${n}`)
  const digits: number[] = []
  do {
    digits.unshift(n % 128)
    n = Math.floor(n / 128)
  } while (n > 0)
  for (let i = 0; i < digits.length - 1; i++) digits[i]! |= 0x80
  return Uint8Array.from(digits)
}

/** Reads a message strictly: every read is bounded by what is left. */
class Reader {
  at = 0
  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.at >= this.bytes.length
  }

  byte(): number {
    if (this.at >= this.bytes.length) throw new NegentropyError('message truncated')
    return this.bytes[this.at++]!
  }

  take(n: number): Uint8Array {
    if (n > this.bytes.length - this.at) throw new NegentropyError('message truncated')
    const out = this.bytes.subarray(this.at, this.at + n)
    this.at += n
    return out
  }

  varint(): number {
    let n = 0
    for (let i = 0; i < 8; i++) {
      const b = this.byte()
      n = n * 128 + (b & 0x7f)
      if (!(b & 0x80)) {
        if (!Number.isSafeInteger(n)) break
        return n
      }
    }
    throw new NegentropyError('varint too long')
  }
}

class Writer {
  private parts: Uint8Array[] = []
  length = 0

  push(bytes: Uint8Array | number[]): void {
    const b = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes)
    this.parts.push(b)
    this.length += b.length
  }

  append(other: Writer): void {
    for (const p of other.parts) this.parts.push(p)
    this.length += other.length
  }

  bytes(): Uint8Array {
    return concatBytes(...this.parts)
  }
}

export interface ReconcileResult {
  /** The message to send next (client: undefined once reconciled; server: always a reply). */
  message?: Uint8Array
  /** Ids this side has and the other lacks (known to the client only). */
  have: Uint8Array[]
  /** Ids the other side has and this one lacks (known to the client only). */
  need: Uint8Array[]
}

/** One side of one reconciliation. */
export class Negentropy {
  private initiator = false
  private lastTimestampIn = 0
  private lastTimestampOut = 0

  /** `frameLimit`: most bytes per message (0: none; else at least 4096). */
  constructor(
    private readonly storage: SortedItems,
    private readonly frameLimit = 60_000,
  ) {
    if (frameLimit !== 0 && frameLimit < MIN_FRAME_LIMIT) throw new NegentropyError(`a frame limit is 0 or at least ${MIN_FRAME_LIMIT} bytes`)
  }

  /** The client's first message. */
  initiate(): Uint8Array {
    if (this.initiator) throw new NegentropyError('already initiated')
    this.initiator = true
    const out = new Writer()
    out.push([PROTOCOL_VERSION])
    this.lastTimestampOut = 0
    this.splitRange(0, this.storage.size, { timestamp: INFINITY, prefix: new Uint8Array(0) }, out)
    return out.bytes()
  }

  reconcile(message: Uint8Array): ReconcileResult {
    const have: Uint8Array[] = []
    const need: Uint8Array[] = []
    const input = new Reader(message)
    this.lastTimestampIn = 0
    this.lastTimestampOut = 0
    const full = new Writer()
    full.push([PROTOCOL_VERSION])
    const version = input.byte()
    if (version < 0x60 || version > 0x6f) throw new NegentropyError('not a negentropy message (protocol version byte)')
    if (version !== PROTOCOL_VERSION) {
      if (this.initiator) throw new NegentropyError(`the other side speaks negentropy version ${version - 0x60} only`)
      return { message: full.bytes(), have, need } // the highest version this side speaks
    }
    const size = this.storage.size
    let prevBound: Bound = { timestamp: 0, prefix: new Uint8Array(0) }
    let prevIndex = 0
    let skip = false
    while (!input.done) {
      let o = new Writer()
      const flushSkip = () => {
        if (!skip) return
        skip = false
        o.push(this.encodeBound(prevBound))
        o.push(encodeVarint(Mode.skip))
      }
      const bound = this.decodeBound(input)
      const mode = input.varint()
      const lower = prevIndex
      let upper = this.storage.findBound(prevIndex, size, bound)
      if (mode === Mode.skip) {
        skip = true
      } else if (mode === Mode.fingerprint) {
        const theirs = input.take(FINGERPRINT_BYTES)
        if (equalBytes(theirs, this.storage.fingerprint(lower, upper))) skip = true
        else {
          flushSkip()
          this.splitRange(lower, upper, bound, o)
        }
      } else if (mode === Mode.idList) {
        const count = input.varint()
        if (count > (message.length - input.at) / ID_BYTES) throw new NegentropyError('id list longer than the message')
        if (this.initiator) {
          const theirs = new Map<string, Uint8Array>()
          for (let i = 0; i < count; i++) {
            const id = input.take(ID_BYTES)
            theirs.set(bytesToHex(id), id)
          }
          skip = true
          for (let i = lower; i < upper; i++) {
            const id = this.storage.at(i).id
            const key = bytesToHex(id)
            if (theirs.has(key)) theirs.delete(key)
            else have.push(id)
          }
          for (const id of theirs.values()) need.push(Uint8Array.from(id))
        } else {
          input.take(count * ID_BYTES)
          flushSkip()
          const ids = new Writer()
          let n = 0
          let endBound = bound
          for (let i = lower; i < upper; i++) {
            if (this.exceeds(full.length + ids.length)) {
              const item = this.storage.at(i)
              endBound = { timestamp: item.timestamp, prefix: item.id }
              upper = i // the rest of the range gets its fingerprint below
              break
            }
            ids.push(this.storage.at(i).id)
            n++
          }
          o.push(this.encodeBound(endBound))
          o.push(encodeVarint(Mode.idList))
          o.push(encodeVarint(n))
          o.append(ids)
          full.append(o)
          o = new Writer()
        }
      } else {
        throw new NegentropyError(`unknown range mode ${mode}`)
      }
      if (this.exceeds(full.length + o.length)) {
        // Over the frame limit: stop here and give one fingerprint for everything after.
        const rest = this.storage.fingerprint(upper, size)
        full.push(this.encodeBound({ timestamp: INFINITY, prefix: new Uint8Array(0) }))
        full.push(encodeVarint(Mode.fingerprint))
        full.push(rest)
        break
      }
      full.append(o)
      prevIndex = upper
      prevBound = bound
    }
    const done = full.length === 1 && this.initiator
    return { message: done ? undefined : full.bytes(), have, need }
  }

  private exceeds(n: number): boolean {
    return this.frameLimit !== 0 && n > this.frameLimit - 200
  }

  private splitRange(lower: number, upper: number, upperBound: Bound, o: Writer): void {
    const count = upper - lower
    if (count < BUCKETS * 2) {
      o.push(this.encodeBound(upperBound))
      o.push(encodeVarint(Mode.idList))
      o.push(encodeVarint(count))
      for (let i = lower; i < upper; i++) o.push(this.storage.at(i).id)
      return
    }
    const perBucket = Math.floor(count / BUCKETS)
    const withExtra = count % BUCKETS
    let curr = lower
    for (let i = 0; i < BUCKETS; i++) {
      const bucketSize = perBucket + (i < withExtra ? 1 : 0)
      const fingerprint = this.storage.fingerprint(curr, curr + bucketSize)
      curr += bucketSize
      const next = curr === upper ? upperBound : minimalBound(this.storage.at(curr - 1), this.storage.at(curr))
      o.push(this.encodeBound(next))
      o.push(encodeVarint(Mode.fingerprint))
      o.push(fingerprint)
    }
  }

  private encodeBound(bound: Bound): Uint8Array {
    return concatBytes(this.encodeTimestampOut(bound.timestamp), encodeVarint(bound.prefix.length), bound.prefix)
  }

  private encodeTimestampOut(timestamp: number): Uint8Array {
    if (timestamp === INFINITY) {
      this.lastTimestampOut = INFINITY
      return encodeVarint(0)
    }
    const offset = timestamp - this.lastTimestampOut
    this.lastTimestampOut = timestamp
    return encodeVarint(offset + 1)
  }

  private decodeBound(input: Reader): Bound {
    const timestamp = this.decodeTimestampIn(input)
    const length = input.varint()
    if (length > ID_BYTES) throw new NegentropyError('bound prefix longer than an id')
    return { timestamp, prefix: input.take(length) }
  }

  private decodeTimestampIn(input: Reader): number {
    const encoded = input.varint()
    let timestamp = encoded === 0 ? INFINITY : encoded - 1
    if (this.lastTimestampIn === INFINITY || timestamp === INFINITY) {
      this.lastTimestampIn = INFINITY
      return INFINITY
    }
    timestamp += this.lastTimestampIn
    if (!Number.isSafeInteger(timestamp) || timestamp >= INFINITY) throw new NegentropyError('bound timestamp out of range')
    this.lastTimestampIn = timestamp
    return timestamp
  }
}

/** The shortest bound that separates `prev` (below) from `curr` (at or above). */
function minimalBound(prev: Item, curr: Item): Bound {
  if (curr.timestamp !== prev.timestamp) return { timestamp: curr.timestamp, prefix: new Uint8Array(0) }
  let shared = 0
  while (shared < ID_BYTES && curr.id[shared] === prev.id[shared]) shared++
  return { timestamp: curr.timestamp, prefix: curr.id.subarray(0, shared + 1) }
}
