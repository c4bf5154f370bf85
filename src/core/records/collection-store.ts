/**
 * A collection on disk (docs/records.md "Storage"): its record set, backed
 * by one crash-safe append-only log of the records' bytes
 * (src/core/ledger/record-log.ts). Opening replays the log through the same
 * rules as the network (a record expired meanwhile is simply not taken
 * back); a record is on disk before `put` resolves; when expired and deleted
 * records make up most of the log it is rewritten with the live ones only
 * (to a new file, fsynced, then renamed over the old one: never half).
 */
import { open as openFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { RecordLog } from '../ledger/record-log.js'
import { RecordSet, type Offered } from './record-set.js'
import type { CollectionPolicy } from './collection.js'

/** Rewrite the log when it holds this many bytes more than the live records (and at least twice as many). */
const COMPACT_SLACK_BYTES = 1024 * 1024

export class CollectionStore {
  private compacting?: Promise<void>
  private readonly listeners: ((offered: Offered) => void)[] = []

  private constructor(
    readonly set: RecordSet,
    private log: RecordLog,
    private readonly path: string,
  ) {}

  static async open(dir: string, policy: CollectionPolicy, nowSeconds: number): Promise<CollectionStore> {
    const path = join(dir, `${policy.name}.log`)
    const { log, records } = await RecordLog.open(path)
    const set = new RecordSet(policy)
    const store = new CollectionStore(set, log, path)
    for (const bytes of records) {
      try {
        set.offer(bytes, nowSeconds)
      } catch {
        // expired, deleted or over a bound since it was written: it stays out
      }
    }
    await store.maybeCompact()
    return store
  }

  get name(): string {
    return this.set.policy.name
  }

  /** Called with each record stored (from the network or locally), after it is on disk. */
  onStored(listener: (offered: Offered) => void): void {
    this.listeners.push(listener)
  }

  /** Check and store records (each alone: one refused does not stop the others); durable when this resolves. */
  async put(records: readonly Uint8Array[], nowSeconds: number): Promise<(Offered | Error)[]> {
    const results = records.map((bytes): Offered | Error => {
      try {
        return this.set.offer(bytes, nowSeconds)
      } catch (error) {
        return error as Error
      }
    })
    const stored = records.filter((_, i) => !(results[i] instanceof Error) && (results[i] as Offered).outcome === 'stored')
    if (stored.length > 0) {
      // Never into a log being replaced (a record the rewrite's snapshot holds too is read back once: `known`).
      await this.compacting
      await this.log.appendAll(stored)
      await this.log.flush()
      for (const r of results) if (!(r instanceof Error) && r.outcome === 'stored') for (const l of this.listeners) l(r)
    }
    return results
  }

  /** Drop what expired by `nowSeconds`; rewrite the log when it is mostly garbage. */
  async gc(nowSeconds: number): Promise<string[]> {
    const removed = this.set.gc(nowSeconds)
    await this.maybeCompact()
    return removed
  }

  /** What the live records take in the log: their bytes and each frame's length and hash (36). */
  private get liveBytes(): number {
    return this.set.bytes + 36 * this.set.size
  }

  private async maybeCompact(): Promise<void> {
    if (this.compacting) return this.compacting
    if (this.log.bytes < 2 * this.liveBytes || this.log.bytes - this.liveBytes < COMPACT_SLACK_BYTES) return
    this.compacting = (async () => {
      const fresh = `${this.path}.compact`
      await rm(fresh, { force: true })
      const { log } = await RecordLog.open(fresh)
      await log.appendAll(this.set.list({ deletions: true }).map((h) => h.bytes))
      await log.close()
      await rename(fresh, this.path)
      // The directory entry of the rename, durable too.
      const dir = await openFile(join(this.path, '..'), 'r')
      await dir.sync().finally(() => dir.close())
      await this.log.close()
      this.log = (await RecordLog.open(this.path)).log
    })().finally(() => (this.compacting = undefined))
    return this.compacting
  }

  async close(): Promise<void> {
    await this.compacting
    await this.log.close()
  }
}
