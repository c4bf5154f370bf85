/**
 * Adaptive failure detection: per peer, an exponentially weighted mean and
 * deviation of the gaps between messages heard; a peer is suspected once the
 * silence exceeds mean + 4·deviation (clamped), so a slow link or a busy peer
 * gets a longer timeout than a fast, regular one.
 */
export class Liveness {
  private readonly peers = new Map<string, { last: number; mean: number; dev: number }>()

  constructor(
    private readonly expectedGapMs: number,
    private readonly minTimeoutMs: number,
    private readonly maxTimeoutMs: number,
  ) {}

  /** Start watching a peer as if just heard from (a new child or parent). */
  watch(id: string, now: number): void {
    if (!this.peers.has(id)) this.peers.set(id, { last: now, mean: this.expectedGapMs, dev: this.expectedGapMs / 2 })
  }

  heard(id: string, now: number): void {
    const p = this.peers.get(id)
    if (!p) return void this.peers.set(id, { last: now, mean: this.expectedGapMs, dev: this.expectedGapMs / 2 })
    const gap = now - p.last
    p.last = now
    const error = gap - p.mean
    p.mean += 0.125 * error
    p.dev += 0.25 * (Math.abs(error) - p.dev)
  }

  timeoutOf(id: string): number {
    const p = this.peers.get(id)
    const raw = p ? p.mean + 4 * p.dev : this.minTimeoutMs
    return Math.min(this.maxTimeoutMs, Math.max(this.minTimeoutMs, raw))
  }

  silence(id: string, now: number): number {
    const p = this.peers.get(id)
    return p ? now - p.last : Infinity
  }

  isSuspected(id: string, now: number): boolean {
    return this.silence(id, now) > this.timeoutOf(id)
  }

  forget(id: string): void {
    this.peers.delete(id)
  }

  retain(ids: Set<string>): void {
    for (const id of this.peers.keys()) if (!ids.has(id)) this.peers.delete(id)
  }
}
