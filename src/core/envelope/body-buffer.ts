/**
 * An envelope body as it arrives: stored in segments that are allocated only
 * when bytes need them (64 KiB first, then each as large as everything before
 * it, so at most about twice what arrived is ever held), and hashed as they
 * fill. Nothing is allocated at the size a header announces, and a body that
 * never completes leaves no outgrown buffers behind for the garbage collector:
 * the one copy into a contiguous buffer happens when the last byte is in.
 */
import { BorgError } from '../errors.js'
import { sha256Stream } from '../crypto/hash.js'

const EMPTY = new Uint8Array(0)
const FIRST_SEGMENT = 64 * 1024
/** Hash in slices at least this large: per-call overhead on 16-64 KiB network chunks costs ~35% of SHA-256 throughput. */
const HASH_SLICE = 1 << 20

export class BodyBuffer {
  private readonly segments: Uint8Array[] = []
  private current: Uint8Array = EMPTY
  private used = 0
  private hashed = 0
  private allocated = 0
  private written = 0
  private readonly hash = sha256Stream()

  /** `reserve` is asked before each allocation and throws a BorgError to refuse it. */
  constructor(
    readonly length: number,
    private readonly reserve?: (bytes: number) => void,
  ) {}

  get filled(): number {
    return this.written
  }

  write(data: Uint8Array): void {
    if (this.written + data.length > this.length) throw new BorgError('malformed', 'malformed envelope: trailing bytes after body')
    let offset = 0
    while (offset < data.length) {
      if (this.used === this.current.length) this.nextSegment()
      const n = Math.min(this.current.length - this.used, data.length - offset)
      this.current.set(data.subarray(offset, offset + n), this.used)
      this.used += n
      offset += n
      if (this.used === this.current.length || this.used - this.hashed >= HASH_SLICE) this.hashCurrent()
    }
    this.written += data.length
  }

  /** SHA-256 of everything written. */
  digest(): Uint8Array {
    this.hashCurrent()
    return this.hash.digest()
  }

  /** The whole body in one buffer (one copy when it arrived in several segments). */
  bytes(): Uint8Array {
    if (this.written < this.length) throw new BorgError('malformed', 'malformed envelope: truncated body')
    if (this.segments.length <= 1) return this.segments[0] ?? EMPTY
    const whole = Buffer.allocUnsafeSlow(this.length)
    let at = 0
    for (const segment of this.segments) {
      whole.set(segment, at)
      at += segment.length
    }
    this.segments.length = 0
    return whole
  }

  private nextSegment(): void {
    const size = Math.min(this.length - this.allocated, Math.max(FIRST_SEGMENT, this.allocated))
    this.reserve?.(size)
    // Not from Buffer's shared pool: a body must never expose other messages' bytes.
    this.current = Buffer.allocUnsafeSlow(size)
    this.segments.push(this.current)
    this.allocated += size
    this.used = 0
    this.hashed = 0
  }

  private hashCurrent(): void {
    if (this.used === this.hashed) return
    this.hash.update(this.current.subarray(this.hashed, this.used))
    this.hashed = this.used
  }
}
