/**
 * Borg never sets the operating-system clock, but an administrator or an NTP
 * daemon may step it, and network time is that clock plus an offset: a step
 * would move network time and void every sample. The monotonic clock is not
 * stepped, so a change in (wall − monotonic) beyond reading noise is a step,
 * which the caller cancels by moving its offset and samples the other way.
 */
export const DEFAULT_STEP_THRESHOLD_MS = 5

export class LocalStepDetector {
  /** wall − monotonic when last anchored. */
  private anchor: number | undefined

  constructor(readonly thresholdMs = DEFAULT_STEP_THRESHOLD_MS) {}

  /**
   * The step of the wall clock since the last detected one (or the first
   * check), ms; 0 when within the threshold. Slow divergence accumulates
   * against the same anchor, so it is caught once it adds up.
   */
  check(wallMs: number, monotonicMs: number): number {
    const skew = wallMs - monotonicMs
    if (this.anchor === undefined) {
      this.anchor = skew
      return 0
    }
    const step = skew - this.anchor
    if (Math.abs(step) <= this.thresholdMs) return 0
    this.anchor = skew
    return step
  }

  reset(): void {
    this.anchor = undefined
  }
}
