/**
 * Remembers (sender, message id) pairs for as long as their timestamp is inside
 * the acceptance window, so a captured message cannot be played again.
 *
 * Fair under pressure: every sender has its own log and its own floor. Memory
 * is bounded twice:
 * - `maxEntries` ids in total. Beyond it the heaviest senders lose their oldest
 *   ids first (everyone above a "water level" is cut down to it), which raises
 *   only their own floors: a sender that floods pays for its flood, and a
 *   sender with fewer ids than the others is never touched.
 * - `maxSenders` logs. Beyond it the least recently active sender is
 *   forgotten; its floor goes into a keyed bucket of a FloorSketch, so a
 *   forgotten sender starts again from a floor above everything it sent.
 * Anything stamped at or below its sender's floor is refused, so an evicted id
 * can never be accepted again; under overload a flooding sender's effective
 * window shrinks instead of the guarantee weakening, and nobody else's does.
 */
import type { Random } from '../wire/random.js'
import { FloorSketch } from './floor-sketch.js'
import { SenderLog, type ReplayVerdict } from './sender-log.js'

export type { ReplayVerdict } from './sender-log.js'

export interface ReplayCacheOptions {
  /** Entries older than now - retainMs are forgotten (they would be rejected as expired). */
  retainMs: number
  /** Ids remembered across all senders. */
  maxEntries: number
  /** Senders tracked individually (default: min(maxEntries, 10 000)). */
  maxSenders?: number
  /** Buckets for forgotten senders' floors (default 4096). */
  sketchBuckets?: number
  random?: Random
}

export const DEFAULT_MAX_SENDERS = 10_000
export const DEFAULT_SKETCH_BUCKETS = 4096

export class ReplayCache {
  /** In order of last activity, least recent first (a Map keeps insertion order). */
  private readonly logs = new Map<string, SenderLog>()
  private readonly sketch: FloorSketch
  private readonly maxSenders: number
  /** Evict this many more than needed at once, so the O(senders) trim runs rarely. */
  private readonly slack: number
  private total = 0
  private lastSweep = -Infinity

  constructor(private readonly options: ReplayCacheOptions) {
    this.maxSenders = options.maxSenders ?? Math.min(options.maxEntries, DEFAULT_MAX_SENDERS)
    this.sketch = new FloorSketch(options.sketchBuckets ?? DEFAULT_SKETCH_BUCKETS, options.random)
    this.slack = Math.ceil(options.maxEntries / 64)
  }

  /** Ids remembered, all senders together. */
  get size(): number {
    return this.total
  }

  get senders(): number {
    return this.logs.size
  }

  /** The timestamp at or below which `sender`'s messages are refused. */
  floorOf(sender: string): number {
    return this.logs.get(sender)?.floor ?? this.sketch.floor(sender)
  }

  /** Is this message new? Does not record it (and allocates nothing: the sender is not authenticated yet). */
  check(sender: string, id: string, timestamp: number): ReplayVerdict {
    const log = this.logs.get(sender)
    if (log) return log.verdict(id, timestamp)
    return timestamp <= this.sketch.floor(sender) ? 'below-floor' : 'fresh'
  }

  /** Reserve an id while its body is still arriving, so a concurrent copy is refused. */
  reserve(sender: string, id: string, timestamp: number): ReplayVerdict {
    const verdict = this.check(sender, id, timestamp)
    if (verdict === 'fresh') this.touch(sender).pending.add(id)
    return verdict
  }

  /** Drop a reservation whose message failed later checks; a genuine copy may still arrive. */
  release(sender: string, id: string): void {
    this.logs.get(sender)?.pending.delete(id)
  }

  /** Record an accepted message. */
  commit(sender: string, id: string, timestamp: number, now: number): void {
    if (this.touch(sender).commit(id, timestamp)) this.total++
    if (now - this.lastSweep >= this.options.retainMs / 4 || this.total > this.options.maxEntries) this.prune(now)
    if (this.total > this.options.maxEntries) this.trim(this.total - this.options.maxEntries + this.slack)
  }

  /** Forget expired ids, and senders with nothing left to remember. */
  prune(now: number): void {
    this.lastSweep = now
    const oldest = now - this.options.retainMs
    for (const [sender, log] of this.logs) {
      this.total -= log.expire(oldest)
      if (log.size === 0 && log.pending.size === 0) this.forget(sender, log)
    }
  }

  /** The sender's log, created if needed and moved to the most recently active end. */
  private touch(sender: string): SenderLog {
    let log = this.logs.get(sender)
    if (log) {
      this.logs.delete(sender)
    } else {
      if (this.logs.size >= this.maxSenders) this.forgetLeastRecent()
      log = new SenderLog(this.sketch.floor(sender))
    }
    this.logs.set(sender, log)
    return log
  }

  /** Make room for one more sender: forget the least recently active one with no body in flight. */
  private forgetLeastRecent(): void {
    for (const [sender, log] of this.logs) {
      if (log.pending.size > 0) continue
      this.forget(sender, log)
      return
    }
  }

  private forget(sender: string, log: SenderLog): void {
    this.sketch.raise(sender, log.forgetFloor)
    this.total -= log.size
    this.logs.delete(sender)
  }

  /**
   * Free at least `excess` ids, heaviest senders first: find the water level L
   * such that cutting every sender above L down to L frees enough, then cut.
   */
  private trim(excess: number): void {
    const sizes = [...this.logs.values()].map((log) => log.size).sort((a, b) => b - a)
    let level = sizes[0] ?? 0
    let freed = 0
    for (let i = 0; i < sizes.length && freed < excess; i++) {
      const next = sizes[i + 1] ?? 0
      const width = i + 1
      if (freed + (level - next) * width >= excess) {
        level -= Math.ceil((excess - freed) / width)
        break
      }
      freed += (level - next) * width
      level = next
    }
    for (const log of this.logs.values()) {
      if (log.size > level) this.total -= log.evictOldest(log.size - level)
    }
  }
}
