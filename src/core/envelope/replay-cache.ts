/**
 * Remembers (sender, message id) pairs for as long as their timestamp is inside
 * the acceptance window, so a captured message cannot be played again.
 *
 * Memory is bounded: when full, the oldest entry is evicted and the `floor`
 * rises to its timestamp. Anything stamped at or before the floor is refused,
 * so an evicted entry can never be replayed; under overload the effective
 * window shrinks instead of the guarantee weakening.
 */
export interface ReplayCacheOptions {
  /** Entries older than now - retainMs are forgotten (they would be rejected as expired). */
  retainMs: number
  maxEntries: number
}

export type ReplayVerdict = 'fresh' | 'seen' | 'below-floor'

export class ReplayCache {
  private readonly seen = new Map<string, number>()
  private readonly pending = new Set<string>()
  // Min-heap of [timestamp, key] for eviction in timestamp order.
  private readonly heapTimes: number[] = []
  private readonly heapKeys: string[] = []
  private floorMs = -Infinity

  constructor(private readonly options: ReplayCacheOptions) {}

  get size(): number {
    return this.seen.size
  }

  get floor(): number {
    return this.floorMs
  }

  /** Is this message new? Does not record it. */
  check(key: string, timestamp: number): ReplayVerdict {
    if (timestamp <= this.floorMs) return 'below-floor'
    if (this.seen.has(key) || this.pending.has(key)) return 'seen'
    return 'fresh'
  }

  /** Reserve a key while its body is still arriving, so a concurrent copy is refused. */
  reserve(key: string, timestamp: number): ReplayVerdict {
    const verdict = this.check(key, timestamp)
    if (verdict === 'fresh') this.pending.add(key)
    return verdict
  }

  /** Drop a reservation whose message failed later checks; a genuine copy may still arrive. */
  release(key: string): void {
    this.pending.delete(key)
  }

  /** Record an accepted message. */
  commit(key: string, timestamp: number, now: number): void {
    this.pending.delete(key)
    if (this.seen.has(key)) return
    this.seen.set(key, timestamp)
    this.push(timestamp, key)
    this.prune(now)
  }

  /** Forget expired entries and enforce the size bound. */
  prune(now: number): void {
    const oldest = now - this.options.retainMs
    while (this.heapTimes.length > 0 && this.heapTimes[0]! < oldest) this.evictMin(false)
    while (this.seen.size > this.options.maxEntries) this.evictMin(true)
  }

  private evictMin(raiseFloor: boolean): void {
    const [timestamp, key] = this.pop()
    this.seen.delete(key)
    if (raiseFloor && timestamp > this.floorMs) this.floorMs = timestamp
  }

  private push(time: number, key: string): void {
    const times = this.heapTimes
    const keys = this.heapKeys
    let i = times.length
    times.push(time)
    keys.push(key)
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (times[parent]! <= time) break
      times[i] = times[parent]!
      keys[i] = keys[parent]!
      i = parent
    }
    times[i] = time
    keys[i] = key
  }

  private pop(): [number, string] {
    const times = this.heapTimes
    const keys = this.heapKeys
    const topTime = times[0]!
    const topKey = keys[0]!
    const lastTime = times.pop()!
    const lastKey = keys.pop()!
    const n = times.length
    if (n > 0) {
      let i = 0
      for (;;) {
        const left = 2 * i + 1
        if (left >= n) break
        const right = left + 1
        const child = right < n && times[right]! < times[left]! ? right : left
        if (times[child]! >= lastTime) break
        times[i] = times[child]!
        keys[i] = keys[child]!
        i = child
      }
      times[i] = lastTime
      keys[i] = lastKey
    }
    return [topTime, topKey]
  }
}
