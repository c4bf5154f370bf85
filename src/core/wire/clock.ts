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
