/**
 * An envelope body as it arrives, hashed as it is written. Memory is charged
 * (through `reserve`) before bytes can land in it, in steps: 64 KiB first, then
 * each step as large as everything charged before, so a body is charged at
 * most about twice what arrived, and a header announcing 64 MiB costs nothing
 * until the bytes come.
 *
 * The first MiB goes into separate segments, allocated step by step. A body
 * that keeps coming past that gets one buffer of its full length (the segments
 * are copied in once, at most 1 MiB): the kernel backs its pages only as they
 * are written, and they are written only within what was charged, so resident
 * memory still follows the charge, while a big body is not copied again at
 * the end (a final copy of 30 MB bodies cost 15-30% of bulk throughput).
 */
import { BorgError } from '../errors.js'
import { sha256Stream } from '../crypto/hash.js'

const EMPTY = new Uint8Array(0)

/** What hashes a body as it is written: SHA-256 of all of it, or a parts body's checks (parts.ts). May throw a BorgError to refuse. */
export interface BodyHasher {
  update(bytes: Uint8Array): void
  digest(): Uint8Array
}
const FIRST_STEP = 64 * 1024
/** Past this many bytes in segments, the body moves into one buffer of its full length. */
const WHOLE_AFTER = 1024 * 1024
/** Hash in slices at least this large: per-call overhead on 16-64 KiB network chunks costs ~35% of SHA-256 throughput. */
const HASH_SLICE = 1 << 20

export class BodyBuffer {
  private readonly segments: Uint8Array[] = []
  private whole?: Uint8Array
  /** Where bytes are written now: the last segment, or the whole buffer. */
  private current: Uint8Array = EMPTY
  private used = 0
  private hashed = 0
  private charged = 0
  private written = 0
  /** `reserve` is asked before each step and throws a BorgError to refuse it; `hash` sees every byte once, in order. */
  constructor(
    readonly length: number,
    private readonly reserve?: (bytes: number) => void,
    private readonly hash: BodyHasher = sha256Stream(),
  ) {
    // Nothing to charge (a client reading the reply it asked for): one buffer of the full length
    // at once. Its pages are backed only as bytes land, so an announced length that never comes
    // costs address space, not memory; and nothing is copied at the end.
    if (!reserve && length > 0) {
      this.whole = this.current = Buffer.allocUnsafeSlow(length)
      this.charged = length
    }
  }

  get filled(): number {
    return this.written
  }

  write(data: Uint8Array): void {
    if (this.written + data.length > this.length) throw new BorgError('malformed', 'malformed envelope: trailing bytes after body')
    let offset = 0
    while (offset < data.length) {
      if (this.room() === 0) this.step()
      const n = Math.min(this.room(), data.length - offset)
      this.current.set(data.subarray(offset, offset + n), this.used)
      this.used += n
      this.written += n
      offset += n
      // The first 64 KiB are hashed as they come, so a parts body's index is checked early.
      if (this.used === this.current.length || this.used - this.hashed >= HASH_SLICE || this.hashedTotal() < FIRST_STEP) this.hashCurrent()
    }
  }

  /** The hasher's digest: SHA-256 of everything written (of a parts body's index). */
  digest(): Uint8Array {
    this.hashCurrent()
    return this.hash.digest()
  }

  /** The whole body in one buffer (a body that stayed in segments is copied once). */
  bytes(): Uint8Array {
    if (this.written < this.length) throw new BorgError('malformed', 'malformed envelope: truncated body')
    if (this.whole) return this.whole
    if (this.segments.length <= 1) return this.segments[0] ?? EMPTY
    return (this.whole = this.gather())
  }

  /** The segments copied into one buffer of the full length (they are dropped). */
  private gather(): Buffer {
    // Not from Buffer's shared pool: a body must never expose other messages' bytes.
    const whole = Buffer.allocUnsafeSlow(this.length)
    let at = 0
    for (const segment of this.segments) {
      whole.set(segment, at)
      at += segment.length
    }
    this.segments.length = 0
    return whole
  }

  /** Bytes that may be written before the next step. */
  private room(): number {
    return this.whole ? this.charged - this.written : this.current.length - this.used
  }

  private step(): void {
    const size = Math.min(this.length - this.charged, Math.max(FIRST_STEP, this.charged))
    this.reserve?.(size)
    this.charged += size
    if (this.whole) return
    if (this.written >= WHOLE_AFTER) {
      this.whole = this.current = this.gather()
      this.used = this.hashed = this.written
      return
    }
    this.current = Buffer.allocUnsafeSlow(size)
    this.segments.push(this.current)
    this.used = 0
    this.hashed = 0
  }

  /** Bytes hashed so far (of the whole body). */
  private hashedTotal(): number {
    return this.written - (this.used - this.hashed)
  }

  private hashCurrent(): void {
    if (this.used === this.hashed) return
    this.hash.update(this.current.subarray(this.hashed, this.used))
    this.hashed = this.used
  }
}
