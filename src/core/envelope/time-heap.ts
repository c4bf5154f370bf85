/** A min-heap of (timestamp, key): the oldest entry first, for expiry and eviction in timestamp order. */
export class TimeHeap {
  private readonly times: number[] = []
  private readonly keys: string[] = []

  get size(): number {
    return this.times.length
  }

  /** The smallest timestamp held (Infinity when empty). */
  get minTime(): number {
    return this.times.length > 0 ? this.times[0]! : Infinity
  }

  push(time: number, key: string): void {
    const { times, keys } = this
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

  pop(): [number, string] {
    const { times, keys } = this
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
