/**
 * The other streaming cells' loads, asked only when this cell is full. The
 * answers are kept for `ttlMs` (1 s) so a burst of clients costs one round of
 * asks, and a client sent to a cell counts there until the next round, so a
 * burst is spread rather than sent to one cell.
 */
import type { Clock } from '../../core/wire/clock.js'
import { Refreshed } from '../../core/time/refreshed.js'
import type { CellLoad } from './messages.js'

export class LoadSurvey {
  private readonly survey: Refreshed<CellLoad[]>

  constructor(ask: () => Promise<CellLoad[]>, clock: Clock, ttlMs = 1_000, onError: (error: Error) => void = () => {}) {
    // A failed round counts as nobody answering.
    this.survey = new Refreshed(() => ask().catch((error: Error) => (onError(error), [])), clock, ttlMs)
  }

  /** The loads, fresh or at most `ttlMs` old. */
  loads(): Promise<CellLoad[]> {
    return this.survey.get()
  }

  /** A client was just sent to `url`. */
  sentTo(url: string): void {
    const load = this.survey.current?.find((l) => l.url === url)
    if (load) load.clients++
  }
}
