/** The real clocks: the OS wall clock to a fraction of a ms, and network time over it. */
import type { AdjustableClock, Timer } from '../wire/clock.js'

/**
 * The operating system's wall clock read to a fraction of a millisecond.
 * Date.now() truncates to whole ms, which alone costs a time exchange up to
 * ±1 ms; performance.now() is fine-grained but only monotonic. So the reading
 * is monotonic time plus a base, and the base is kept consistent with every
 * Date.now() seen: the true wall time T satisfies Date.now() ≤ T < Date.now()+1,
 * so a reading below Date.now() raises the base and one at or above
 * Date.now()+1 lowers it. Each correction only narrows the error, and a step
 * of the OS clock is followed at once (it moves Date.now() past either edge).
 * The error against the OS clock is therefore always under 1 ms and, after a
 * few readings at different phases of the ms, a few µs.
 */
export class FineWallClock {
  private base: number

  constructor(
    private readonly wall: () => number = Date.now,
    private readonly mono: () => number = () => performance.now(),
  ) {
    this.base = wall() - mono()
  }

  read(): number {
    // Date.now() on both sides of the monotonic reading: only when both agree is the true time at
    // `mono` known to lie in [coarse, coarse + 1). A thread preempted between two readings would
    // otherwise teach the base a wrong lesson of however long it was descheduled.
    const before = this.wall()
    const mono = this.mono()
    const coarse = this.wall()
    if (before === coarse) {
      const fine = this.base + mono
      if (fine < coarse) this.base = coarse - mono
      else if (fine >= coarse + 1) this.base = coarse + 1 - FINE_EPSILON_MS - mono
    } else if (Math.abs(this.base + mono - coarse) > STEP_MS) {
      // The OS clock stepped (someone set it): follow it now, refine later.
      this.base = coarse - mono
    }
    return this.base + mono
  }
}

/** A difference this large between the reading and Date.now() is an OS clock step, not jitter. */
const STEP_MS = 50

/** Keeps a corrected reading strictly below the next whole ms. */
const FINE_EPSILON_MS = 1e-3

/**
 * The operating system's clock plus a correction. The correction is where the
 * crono cell plugs network time in; the OS clock itself is never touched.
 */
export class SystemClock implements AdjustableClock {
  private offsetMs = 0
  private readonly wall = new FineWallClock()

  now(): number {
    return this.wall.read() + this.offsetMs
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
