/**
 * The upload rate floor: a request body must bring at least
 * `minBytesPerSecond × windowMs` bytes in every window of `windowMs`, the first
 * starting with the request (so the first window is the grace period). A body
 * slower than that for a whole window is cut with `timeout`. Without it a
 * sender could hold a connection and part of the budget open for as long as it
 * trickles (the server's own request timeout is off: big bodies are bounded by
 * size and by this floor, not by a fixed duration).
 */
import { BorgError } from '../errors.js'
import type { Clock, Timer } from '../wire/clock.js'

export class UploadWatchdog {
  private received = 0
  private mark = 0
  private timer?: Timer

  constructor(
    private readonly clock: Clock,
    private readonly minBytesPerSecond: number,
    private readonly windowMs: number,
    private readonly onSlow: (error: BorgError) => void,
  ) {}

  start(): void {
    if (this.minBytesPerSecond > 0) this.arm()
  }

  add(bytes: number): void {
    this.received += bytes
  }

  stop(): void {
    this.timer?.cancel()
    this.timer = undefined
  }

  private arm(): void {
    this.timer = this.clock.after(this.windowMs, () => this.check())
  }

  private check(): void {
    if (!this.timer) return
    const got = this.received - this.mark
    const needed = (this.minBytesPerSecond * this.windowMs) / 1000
    if (got < needed) {
      this.timer = undefined
      const rate = Math.round((got * 1000) / this.windowMs)
      this.onSlow(
        new BorgError(
          'timeout',
          `upload too slow: ${got} bytes in the last ${this.windowMs / 1000} s (${rate} B/s), below this node's floor of ${this.minBytesPerSecond} B/s; the body was cut`,
        ),
      )
      return
    }
    this.mark = this.received
    this.arm()
  }
}
