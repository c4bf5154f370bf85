/**
 * Files pinned on this node (`borg shard pin ID`): every chunk of a pinned
 * file is kept here, whether or not this node ranks among its holders, and is
 * never collected while the pin stands, so the file stays readable through
 * this node even when its holders are gone or unreachable. Persisted at
 * `<cell data>/pins.json` (crash-safe), as file id → its chunk names.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { BorgError } from '../../core/errors.js'
import type { Logger } from '../../core/log.js'
import { writeFileAtomic } from '../../core/store/atomic-file.js'
import { isSha256Hex } from '../../core/storage/names.js'

export class PinSet {
  private readonly path: string
  /** file id → chunk names. */
  private readonly files = new Map<string, string[]>()
  /** chunk name → how many pinned files name it. */
  private readonly chunks = new Map<string, number>()
  private saving: Promise<void> = Promise.resolve()

  constructor(
    dataDir: string,
    private readonly log: Logger,
  ) {
    this.path = join(dataDir, 'pins.json')
  }

  async open(): Promise<void> {
    const text = await readFile(this.path, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined
      throw e
    })
    if (text === undefined) return
    try {
      const saved = JSON.parse(text) as Record<string, unknown>
      for (const [id, chunks] of Object.entries(saved)) {
        if (isSha256Hex(id) && Array.isArray(chunks) && chunks.every(isSha256Hex)) this.add(id, chunks)
      }
    } catch (error) {
      // Keeping too little is safe (the file's holders still have it); refusing to start is not.
      this.log.warn(`pins: ${this.path} is unreadable (${(error as Error).message}); starting with no pins`, 'pins-corrupt')
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
    const snapshot = JSON.stringify(Object.fromEntries(this.files))
    this.saving = this.saving
      .catch(() => {})
      .then(() => writeFileAtomic(this.path, snapshot, 0o600))
      .catch((error: Error) => {
        throw new BorgError('internal', `pins: cannot save ${this.path}: ${error.message}`)
      })
    return this.saving
  }
}
