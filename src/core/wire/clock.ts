/**
 * Time as protocol code sees it. Protocol cores never call Date.now() or
 * setTimeout directly: the real clock and the simulator's virtual clock both
 * implement this interface, so the same code runs over HTTPS and in simulation.
 */
export interface Timer {
  cancel(): void
}

export interface Clock {
  /** Network time, ms since the Unix epoch: what envelopes carry and replay windows use. */
  now(): number
  /** Monotonic ms for measuring durations; unrelated to the epoch. */
  monotonic(): number
  /** Run `fn` once after `ms` milliseconds (of this clock's time). */
  after(ms: number, fn: () => void): Timer
}

/** A clock whose offset from the local clock can be set: network time (the crono cell sets it). */
export interface AdjustableClock extends Clock {
  /** Offset of network time from the local clock, ms. */
  readonly offset: number
  setOffset(offsetMs: number): void
}

/**
 * The operating system's clock plus a correction. The correction is where the
 * crono cell will plug network time in; the OS clock itself is never touched.
 */
export class SystemClock implements AdjustableClock {
  private offsetMs = 0

  now(): number {
    return Date.now() + this.offsetMs
  }

  monotonic(): number {
    return performance.now()
  }

  after(ms: number, fn: () => void): Timer {
    const handle = setTimeout(fn, Math.max(0, ms))
    handle.unref?.()
    return { cancel: () => clearTimeout(handle) }
  }

  /** Offset of network time from this machine's clock, in ms. */
  get offset(): number {
    return this.offsetMs
  }

  setOffset(offsetMs: number): void {
    if (!Number.isFinite(offsetMs)) throw new RangeError('clock offset must be finite')
    this.offsetMs = offsetMs
  }
}
