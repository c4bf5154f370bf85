/**
 * One sender's part of the replay cache: the message ids it sent that are
 * still inside the window, the ids whose bodies are still arriving, and its
 * own floor. Ids are dropped oldest first; dropping one raises the floor to
 * its timestamp, so a dropped id can never be accepted again.
 */
import { TimeHeap } from './time-heap.js'

export type ReplayVerdict = 'fresh' | 'seen' | 'below-floor'

export class SenderLog {
  private readonly entries = new Map<string, number>()
  private readonly heap = new TimeHeap()
  readonly pending = new Set<string>()
  /** Highest timestamp ever recorded here (what forgetting this sender must stay above). */
  private newest = -Infinity

  constructor(private floorMs: number) {}

  get size(): number {
    return this.entries.size
  }

  get floor(): number {
    return this.floorMs
  }

  /** The floor a successor must start from if this log is forgotten: every id it held is at or below it. */
  get forgetFloor(): number {
    return Math.max(this.floorMs, this.newest)
  }

  verdict(id: string, timestamp: number): ReplayVerdict {
    if (timestamp <= this.floorMs) return 'below-floor'
    if (this.entries.has(id) || this.pending.has(id)) return 'seen'
    return 'fresh'
  }

  /** Record an accepted id; false if it was already there. */
  commit(id: string, timestamp: number): boolean {
    this.pending.delete(id)
    if (this.entries.has(id)) return false
    this.entries.set(id, timestamp)
    this.heap.push(timestamp, id)
    if (timestamp > this.newest) this.newest = timestamp
    return true
  }

  /** Forget ids stamped before `oldest` (they are outside the window now); returns how many. */
  expire(oldest: number): number {
    let removed = 0
    while (this.heap.minTime < oldest) {
      this.entries.delete(this.heap.pop()[1])
      removed++
    }
    return removed
  }

  /** Drop the `count` oldest ids, raising the floor over them; returns how many were dropped. */
  evictOldest(count: number): number {
    let removed = 0
    while (removed < count && this.heap.size > 0) {
      const [timestamp, id] = this.heap.pop()
      this.entries.delete(id)
      if (timestamp > this.floorMs) this.floorMs = timestamp
      removed++
    }
    return removed
  }
}
