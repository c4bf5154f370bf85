/**
 * The arithmetic of one NTP-style exchange between a child and its parent
 * (docs/time.md §2). Pure functions, no clocks read here.
 *
 *   child  t0 ──request──▶ t1  parent
 *   child  t3 ◀──reply──── t2  parent
 *
 * t0 and t3 are read from the child's LOCAL clock (its network clock minus its
 * current offset), t1 and t2 from the parent's NETWORK clock. The offset θ is
 * then what the child must add to its local clock to get network time: an
 * absolute correction, valid whatever offset the child had when it asked.
 */

/** One exchange, ms. */
export interface Exchange {
  /** Child sends the request (child's local clock). */
  t0: number
  /** Parent receives it (parent's network clock). */
  t1: number
  /** Parent sends the reply (parent's network clock). */
  t2: number
  /** Child receives the reply (child's local clock). */
  t3: number
}

/** What the child assumes about clocks when bounding the error. */
export interface BoundAssumptions {
  /** The parent's own error bound against network time when it replied, ms (0 for the root). */
  parentBoundMs: number
  /** Largest rate difference between any local clock and network time, ppm. */
  driftPpm: number
  /**
   * Clock reading granularity, ms: every timestamp is the true time cut to the
   * same grid (Date.now() truncates to 1 ms). 0 for exact clocks (the simulator).
   */
  resolutionMs: number
}

/** θ = ((t1 − t0) + (t2 − t3)) / 2: network time minus the child's local time. */
export function offsetOf(e: Exchange): number {
  return (e.t1 - e.t0 + (e.t2 - e.t3)) / 2
}

/** δ = (t3 − t0) − (t2 − t1): the round trip minus the parent's hold time. */
export function delayOf(e: Exchange): number {
  return e.t3 - e.t0 - (e.t2 - e.t1)
}

/**
 * Bound on |θ − true offset| at the moment of t3 (docs/time.md §3):
 *   δ/2                  any split of the round trip between the two ways
 * + parentBound          the parent's network clock is itself only that close
 * + 2·resolution         four truncated readings
 * + 2·drift·(t3 − t0)    both clocks' rate errors during the exchange
 * + 1 µs                 rounding: doubles near the epoch's ms are 0.24 µs apart
 * δ is clamped at 0: drift or truncation can make a tiny round trip look negative.
 */
export function exchangeBound(e: Exchange, a: BoundAssumptions): number {
  const delay = Math.max(0, delayOf(e))
  const span = Math.max(0, e.t3 - e.t0)
  return delay / 2 + a.parentBoundMs + 2 * a.resolutionMs + 2 * a.driftPpm * 1e-6 * span + ROUNDING_MS
}

/** Arithmetic slack for epoch-sized doubles, ms. */
export const ROUNDING_MS = 0.001

/**
 * A bound taken `elapsedMs` ago, grown by the drift since: the local clock
 * and network time may have run apart by at most drift·elapsed. The parent's
 * later bound growth does not enter: after the exchange, the child's clock no
 * longer depends on the parent's.
 */
export function agedBound(boundMs: number, elapsedMs: number, driftPpm: number): number {
  return boundMs + driftPpm * 1e-6 * Math.max(0, elapsedMs)
}
