/**
 * A node's clock in simulation. A real machine's clock is off by some offset and
 * runs a little fast or slow (drift, in parts per million); time-sync code is
 * tested against exactly that:
 *   now()       = virtual time + offsetMs + driftPpm·1e-6 · elapsed-since-sim-start + correction
 *   monotonic() = (elapsed since this process started) · (1 + driftPpm·1e-6)
 *   after(ms)   fires when this clock's monotonic time has advanced by ms.
 * Offset and drift belong to the machine, so they survive a restart; the
 * monotonic origin and the timers belong to the process, so they do not.
 */
import type { Clock, Timer } from '../wire/clock.js'
import type { EventRef, EventSink } from './event-queue.js'
import type { Simulator } from './simulator.js'

/** Whether the process owning the clock is still running (a crash kills its timers). */
export interface ClockOwner {
  readonly alive: boolean
  /** Name used in trace lines. */
  readonly label: string
}

export interface ClockModel {
  /** Fixed error of this machine's clock, ms (positive = ahead). */
  offsetMs?: number
  /** Rate error in parts per million (positive = runs fast). */
  driftPpm?: number
}

class SimTimer implements Timer {
  constructor(
    private readonly sim: Simulator,
    readonly ref: EventRef,
  ) {}

  cancel(): void {
    this.sim.cancel(this.ref)
  }
}

const DEAD_TIMER: Timer = { cancel() {} }

export class SimClock implements Clock, EventSink {
  readonly offsetMs: number
  readonly driftPpm: number
  private readonly rate: number
  private readonly bootElapsed: number
  private correctionMs = 0

  constructor(
    private readonly sim: Simulator,
    private readonly owner: ClockOwner,
    model: ClockModel = {},
  ) {
    this.offsetMs = model.offsetMs ?? 0
    this.driftPpm = model.driftPpm ?? 0
    if (!Number.isFinite(this.offsetMs)) throw new RangeError('clock offset must be finite')
    if (!(Math.abs(this.driftPpm) < 100_000)) throw new RangeError('clock drift must be within ±100000 ppm')
    this.rate = this.driftPpm * 1e-6
    this.bootElapsed = sim.elapsed
  }

  now(): number {
    const elapsed = this.sim.elapsed
    return this.sim.epochMs + elapsed + this.offsetMs + elapsed * this.rate + this.correctionMs
  }

  monotonic(): number {
    return (this.sim.elapsed - this.bootElapsed) * (1 + this.rate)
  }

  after(ms: number, fn: () => void): Timer {
    // Fail loudly: SystemClock would fire a NaN or Infinity timer after ~1 ms, which hides the bug.
    if (!Number.isFinite(ms)) throw new RangeError(`after(): ms must be finite, got ${ms}`)
    if (!this.owner.alive) return DEAD_TIMER
    // A fast clock reaches `ms` of its own time sooner in true time.
    const delay = ms > 0 ? ms / (1 + this.rate) : 0
    return new SimTimer(this.sim, this.sim.schedule(delay, this, 0, fn))
  }

  /** Error of now() against true virtual time, ms: what a perfect time sync would measure. */
  error(): number {
    // Computed directly rather than as now() - sim.now, which loses precision at epoch magnitudes.
    return this.offsetMs + this.sim.elapsed * this.rate + this.correctionMs
  }

  /** Correction applied on top of the machine's error, like SystemClock.setOffset (where time sync plugs in). */
  get offset(): number {
    return this.correctionMs
  }

  setOffset(offsetMs: number): void {
    if (!Number.isFinite(offsetMs)) throw new RangeError('clock offset must be finite')
    this.correctionMs = offsetMs
  }

  onEvent(_code: number, fn: unknown): void {
    if (this.owner.alive) (fn as () => void)()
    else this.sim.metrics.timersDiscarded++
  }

  describe(): string {
    return `timer ${this.owner.label}${this.owner.alive ? '' : ' (dead)'}`
  }
}
