/**
 * What a holder spends on readers' corruption reports (`shard.chunk.corrupt`,
 * docs/protocol.md §9.5). A report makes the holder hash its copy again, so
 * anyone could make it burn CPU: a chunk re-hashed on a report is not hashed
 * again for `cooldownMs` (its result stands), and at most `perWindow` reports
 * per `windowMs` are checked in all; beyond that the holder answers `busy`
 * and its scrub finds a bad copy in time anyway. A report never deletes a
 * copy by itself: only the holder's own hash does.
 */
import type { Clock } from '../wire/clock.js'

export interface RecheckBudgetOptions {
  /** Re-hashes allowed per window (default 16: at most 16 MiB of hashing per 10 s at 1 MiB chunks). */
  perWindow: number
  windowMs: number
  /** A chunk re-hashed on a report is not re-hashed again for this long, ms. */
  cooldownMs: number
  /** Chunks remembered for the cooldown (the oldest are forgotten first). */
  remember: number
}

export const DEFAULT_RECHECK_BUDGET: RecheckBudgetOptions = { perWindow: 16, windowMs: 10_000, cooldownMs: 60_000, remember: 4096 }

export type RecheckVerdict = 'check' | 'recent' | 'busy'

export class RecheckBudget {
  private windowStart = -Infinity
  private used = 0
  /** hash → when it was last re-hashed on a report (monotonic ms), oldest first. */
  private readonly checked = new Map<string, number>()
  readonly options: RecheckBudgetOptions

  constructor(
    private readonly clock: Pick<Clock, 'monotonic'>,
    options: Partial<RecheckBudgetOptions> = {},
  ) {
    this.options = { ...DEFAULT_RECHECK_BUDGET, ...options }
  }

  /** Whether a report of `hash` may be checked now ('check': it counts against the budget). */
  take(hash: string): RecheckVerdict {
    const now = this.clock.monotonic()
    const last = this.checked.get(hash)
    if (last !== undefined && now - last < this.options.cooldownMs) return 'recent'
    if (now - this.windowStart >= this.options.windowMs) {
      this.windowStart = now
      this.used = 0
    }
    if (this.used >= this.options.perWindow) return 'busy'
    this.used++
    this.checked.delete(hash)
    this.checked.set(hash, now)
    if (this.checked.size > this.options.remember) this.checked.delete(this.checked.keys().next().value!)
    return 'check'
  }
}
