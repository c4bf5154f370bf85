/**
 * Files pinned on this node (`borg shard pin ID`): every chunk of a pinned
 * file is kept here, whether or not this node ranks among its holders, and is
 * never collected while the pin stands, so the file stays readable through
 * this node even when its holders are gone or unreachable. Persisted at
 * `<cell data>/pins.json` (crash-safe), as file id → its chunk names.
 */
import { join } from 'node:path'
import { BorgError } from '../../core/errors.js'
import type { Logger } from '../../core/log.js'
import { JsonStateFile } from '../../core/store/json-file.js'
import { isSha256Hex } from '../../core/storage/names.js'

export class PinSet {
  private readonly file: JsonStateFile
  /** file id → chunk names. */
  private readonly files = new Map<string, string[]>()
  /** chunk name → how many pinned files name it. */
  private readonly chunks = new Map<string, number>()

  constructor(
    dataDir: string,
    log: Logger,
  ) {
    this.file = new JsonStateFile(join(dataDir, 'pins.json'), log, { name: 'pins', warnKey: 'pins-corrupt' })
  }

  async open(): Promise<void> {
    const saved = await this.file.load()
    if (typeof saved !== 'object' || saved === null) return
    for (const [id, chunks] of Object.entries(saved)) {
      if (isSha256Hex(id) && Array.isArray(chunks) && chunks.every(isSha256Hex)) this.add(id, chunks)
    }
  }

  get count(): number {
    return this.files.size
  }

  has(id: string): boolean {
    return this.files.has(id)
  }

  ids(): string[] {
    return [...this.files.keys()]
  }

  /** Whether a pinned file names this chunk (then it is never collected). */
  holds(hash: string): boolean {
    return (this.chunks.get(hash) ?? 0) > 0
  }

  async pin(id: string, chunks: string[]): Promise<void> {
    if (this.files.has(id)) return
    this.add(id, chunks)
    await this.save()
  }

  async unpin(id: string): Promise<boolean> {
    const chunks = this.files.get(id)
    if (!chunks) return false
    this.files.delete(id)
    for (const hash of new Set(chunks)) {
      const n = (this.chunks.get(hash) ?? 1) - 1
      if (n > 0) this.chunks.set(hash, n)
      else this.chunks.delete(hash)
    }
    await this.save()
    return true
  }

  private add(id: string, chunks: string[]): void {
    this.files.set(id, chunks)
    for (const hash of new Set(chunks)) this.chunks.set(hash, (this.chunks.get(hash) ?? 0) + 1)
  }

  /** Saves are queued, so the file on disk always follows the latest state. */
  private save(): Promise<void> {
    return this.file.save(JSON.stringify(Object.fromEntries(this.files))).catch((error: Error) => {
      throw new BorgError('internal', `pins: cannot save ${this.file.path}: ${error.message}`)
    })
  }
}
