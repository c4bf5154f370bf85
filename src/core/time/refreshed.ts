/**
 * A value fetched over the network and kept for a while: fresh enough values
 * come from memory, a stale one is fetched again, and concurrent callers
 * share one fetch. Member lists and other cells' loads use it.
 */
import type { Clock } from '../wire/clock.js'

export class Refreshed<T> {
  private cached?: { value: T; at: number }
  private pending?: Promise<T>

  constructor(
    private readonly fetch: () => Promise<T>,
    private readonly clock: Clock,
    private readonly maxAgeMs: number,
  ) {}

  /** The last value fetched, however old (undefined before the first). */
  get current(): T | undefined {
    return this.cached?.value
  }

  get(): Promise<T> {
    if (this.cached && this.clock.monotonic() - this.cached.at <= this.maxAgeMs) return Promise.resolve(this.cached.value)
    this.pending ??= this.fetch()
      .then((value) => {
        this.cached = { value, at: this.clock.monotonic() }
        return value
      })
      .finally(() => (this.pending = undefined))
    return this.pending
  }
}
