/**
 * The other streaming cells' loads, asked only when this cell is full. The
 * answers are kept for `ttlMs` (1 s) so a burst of clients costs one round of
 * asks, and a client sent to a cell counts there until the next round, so a
 * burst is spread rather than sent to one cell.
 */
import type { Clock } from '../../core/wire/clock.js'
import type { CellLoad } from './messages.js'

export class LoadSurvey {
  private cached?: { loads: CellLoad[]; at: number }
  private pending?: Promise<CellLoad[]>

  constructor(
    private readonly ask: () => Promise<CellLoad[]>,
    private readonly clock: Clock,
    private readonly ttlMs = 1_000,
    private readonly onError: (error: Error) => void = () => {},
  ) {}

  /** The loads, fresh or at most `ttlMs` old; a failed round counts as nobody answering. */
  loads(): Promise<CellLoad[]> {
    if (this.cached && this.clock.monotonic() - this.cached.at <= this.ttlMs) return Promise.resolve(this.cached.loads)
    this.pending ??= this.ask()
      .catch((error: Error) => (this.onError(error), []))
      .then((loads) => {
        this.cached = { loads, at: this.clock.monotonic() }
        return loads
      })
      .finally(() => (this.pending = undefined))
    return this.pending
  }

  /** A client was just sent to `url`. */
  sentTo(url: string): void {
    const load = this.cached?.loads.find((l) => l.url === url)
    if (load) load.clients++
  }
}
