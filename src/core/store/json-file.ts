/**
 * A small JSON state file an organ keeps (pinned files, the stream
 * allow-list): read once at start, saved crash-safe after every change, saves
 * queued so the file on disk always follows the latest state. A file that
 * cannot be read is reported and treated as empty: for such lists, keeping too
 * little is safe (nothing is lost elsewhere) and refusing to start is not.
 */
import { readFile } from 'node:fs/promises'
import type { Logger } from '../log.js'
import { writeFileAtomic } from './atomic-file.js'

export class JsonStateFile {
  private saving: Promise<void> = Promise.resolve()

  constructor(
    readonly path: string,
    private readonly log: Logger,
    /** What the file holds, for the warning ('pins', 'the allow-list'); and the warning's rate-limit key. */
    private readonly what: { name: string; warnKey: string },
  ) {}

  /** The saved value; undefined when there is no file yet or it cannot be read (logged). */
  async load(): Promise<unknown> {
    const text = await readFile(this.path, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined
      throw e
    })
    if (text === undefined) return undefined
    try {
      return JSON.parse(text) as unknown
    } catch (error) {
      this.log.warn(`${this.path} is unreadable (${(error as Error).message}); starting with no ${this.what.name}`, this.what.warnKey)
      return undefined
    }
  }

  /** Write `text` after the saves before it; rejects when this write fails. */
  save(text: string): Promise<void> {
    this.saving = this.saving.catch(() => {}).then(() => writeFileAtomic(this.path, text, 0o600))
    return this.saving
  }
}
