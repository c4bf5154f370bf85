/**
 * Work that runs again and again on an injected clock (a keeper's collection
 * round, a steward's audit, a sweep): the next run is scheduled only once the
 * last has finished, so runs never overlap however long one takes; an optional
 * jitter (drawn from the injected Random) keeps a network's nodes from
 * running in step; a failed run is reported and the schedule goes on.
 */
import type { Clock, Timer } from '../wire/clock.js'
import type { Random } from '../wire/random.js'

export interface PeriodicOptions {
  clock: Clock
  /** Between the end of one run and the start of the next, ms. */
  everyMs: number
  /** Each wait is everyMs × (1 ± fraction), drawn anew each time. */
  jitter?: { random: Random; fraction: number }
  run: () => Promise<void>
  onError: (error: Error) => void
}

export class Periodic {
  private timer?: Timer
  private stopped = true

  constructor(private readonly options: PeriodicOptions) {}

  /** The first run comes one (jittered) period from now. */
  start(): void {
    if (!this.stopped) return
    this.stopped = false
    this.schedule()
  }

  stop(): void {
    this.stopped = true
    this.timer?.cancel()
    this.timer = undefined
  }

  private schedule(): void {
    if (this.stopped) return
    const { clock, everyMs, jitter } = this.options
    const wait = jitter ? everyMs * (1 - jitter.fraction + 2 * jitter.fraction * jitter.random.float()) : everyMs
    this.timer = clock.after(wait, () => {
      this.timer = undefined
      this.options
        .run()
        .catch((error: Error) => this.options.onError(error))
        .finally(() => this.schedule())
    })
  }
}
