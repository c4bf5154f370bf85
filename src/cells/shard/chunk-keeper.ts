/**
 * Garbage collection and scrubbing on a shard cell, without a global lock
 * (docs/storage.md). A chunk is kept while somebody vouches for it: a put
 * leases it, and each file manager's audit renews the lease of the copies
 * that belong here (`shard.chunk.has` with `touch`). A chunk whose lease is
 * older than the grace period is collected, so removed and expired files,
 * pruned extras and chunks nobody claims fade away while puts and gets carry
 * on. Chunks of files pinned on this node are never collected. Each round
 * also re-hashes a few stored chunks; a corrupt one is deleted and the next
 * audit puts a good copy back.
 */
import type { OrganContext } from '../../core/cell/types.js'
import type { ChunkStore } from './chunk-store.js'
import { Periodic } from '../../core/time/periodic.js'

export interface KeeperOptions {
  /** A round (collect, scrub) this often, ms. */
  roundMs: number
  /** A chunk whose lease is older than this is collected, ms. */
  graceMs: number
  /** Chunks re-hashed per round. */
  scrubPerRound: number
}

export const DEFAULT_KEEPER: KeeperOptions = { roundMs: 10 * 60_000, graceMs: 24 * 3_600_000, scrubPerRound: 256 }

export class ChunkKeeper {
  private readonly rounds: Periodic
  private running = false
  private stopped = false
  /** hash → when it was last stored or vouched for (monotonic ms). */
  private readonly leases = new Map<string, number>()
  private readonly startedAt: number
  readonly counters = { rounds: 0, collected: 0, scrubbed: 0, corruptFound: 0 }

  constructor(
    private readonly ctx: OrganContext,
    private readonly chunks: ChunkStore,
    private readonly options: KeeperOptions,
    /** Chunks kept whatever their lease (pinned files). */
    private readonly keep: (hash: string) => boolean = () => false,
  ) {
    this.startedAt = ctx.clock.monotonic()
    // round() reports its own failures.
    this.rounds = new Periodic({ clock: ctx.clock, everyMs: options.roundMs, jitter: { random: ctx.random, fraction: 0.2 }, run: () => this.round(), onError: () => {} })
  }

  start(): void {
    this.rounds.start()
  }

  stop(): void {
    this.stopped = true
    this.rounds.stop()
  }

  /** A chunk was just stored or vouched for. */
  touch(hash: string): void {
    this.leases.set(hash, this.ctx.clock.monotonic())
  }

  async round(): Promise<void> {
    if (this.running || this.stopped) return
    this.running = true
    try {
      this.counters.rounds++
      await this.collect()
      const { checked, corrupt } = await this.chunks.scrub({ maxChunks: this.options.scrubPerRound })
      this.counters.scrubbed += checked
      this.counters.corruptFound += corrupt.length
    } catch (error) {
      this.ctx.log.warn(`keeper: round failed: ${(error as Error).message}`, 'keeper-round')
    } finally {
      this.running = false
    }
  }

  /** Delete chunks nobody has vouched for within the grace period. */
  private async collect(): Promise<void> {
    const lapse = this.ctx.clock.monotonic() - this.options.graceMs
    const doomed: string[] = []
    for await (const { hash } of this.chunks.list()) {
      if ((this.leases.get(hash) ?? this.startedAt) < lapse && !this.keep(hash)) doomed.push(hash)
    }
    for (const hash of doomed) {
      if (await this.chunks.delete(hash)) this.counters.collected++
      this.leases.delete(hash)
    }
    if (doomed.length > 0) this.ctx.log.info(`keeper: collected ${doomed.length} chunk(s) nobody vouched for in ${Math.round(this.options.graceMs / 1000)} s`)
  }
}
