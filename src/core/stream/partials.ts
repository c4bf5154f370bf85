/**
 * Unfinished streams on disk: `partial/<id>.part` (chunks written at their
 * offsets as they arrive; the file grows with them, nothing is allocated up
 * front) and `partial/<id>.json`, the state: the terms, who offered it, the
 * chunks that arrived and when the last one did. The state is written
 * (crash-safe) before the first byte of the part, so every part has one;
 * a part without it is a leftover and goes by its modification time.
 */
import { mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../store/atomic-file.js'
import { isSha256Hex } from '../storage/names.js'

export interface PartialState {
  v: 1
  streamId: string
  size: number
  chunkSize: number
  total: number
  /** Key id of the offer's signer: offering it again resumes without asking the owner. */
  from: string
  /** Wall-clock ms of the acceptance or of the last chunk recorded. */
  updatedAt: number
  /** Indexes of the chunks on disk. */
  have: number[]
}

/** What a scan of the directory found. */
export interface FoundPartial {
  streamId: string
  /** Undefined for a part without its state (a leftover). */
  state?: PartialState
  /** Last progress (wall ms): the state's, else the part's modification time. */
  updatedAt: number
  /** Bytes the part file has now. */
  partBytes: number
}

const isState = (v: unknown): v is PartialState => {
  const s = v as Partial<PartialState> | null
  const int = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0
  return !!s && s.v === 1 && isSha256Hex(s.streamId) && int(s.size) && int(s.chunkSize) && int(s.total) && typeof s.from === 'string' && int(s.updatedAt) && Array.isArray(s.have)
}

export class PartialStore {
  readonly dir: string

  constructor(streamsDir: string) {
    this.dir = join(streamsDir, 'partial')
  }

  partPath(id: string): string {
    return join(this.dir, `${id}.part`)
  }

  statePath(id: string): string {
    return join(this.dir, `${id}.json`)
  }

  async ensure(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
  }

  async readState(id: string): Promise<PartialState | undefined> {
    const text = await readFile(this.statePath(id), 'utf8').catch(() => undefined)
    if (text === undefined) return undefined
    try {
      const state = JSON.parse(text) as unknown
      return isState(state) && state.streamId === id ? state : undefined
    } catch {
      return undefined
    }
  }

  writeState(state: PartialState): Promise<void> {
    return writeFileAtomic(this.statePath(state.streamId), JSON.stringify(state))
  }

  /** Open the part for writing at offsets (created empty when missing). */
  async openPart(id: string) {
    return open(this.partPath(id), 'r+', 0o600).catch(() => open(this.partPath(id), 'w', 0o600))
  }

  async remove(id: string): Promise<void> {
    await rm(this.partPath(id), { force: true })
    await rm(this.statePath(id), { force: true })
  }

  /**
   * Every unfinished stream on disk. States without a part are dropped (there
   * is nothing to resume) and so are a crashed atomic write's temporary files.
   */
  async scan(): Promise<FoundPartial[]> {
    const names = await readdir(this.dir).catch(() => [] as string[])
    const found: FoundPartial[] = []
    const parts = new Set(names.filter((n) => n.endsWith('.part')).map((n) => n.slice(0, -5)))
    for (const name of names) {
      if (name.startsWith('.') && name.endsWith('.tmp')) await rm(join(this.dir, name), { force: true })
      else if (name.endsWith('.json') && !parts.has(name.slice(0, -5))) await rm(join(this.dir, name), { force: true })
    }
    for (const id of parts) {
      if (!isSha256Hex(id)) continue
      const info = await stat(this.partPath(id)).catch(() => undefined)
      if (!info) continue
      const state = await this.readState(id)
      found.push({ streamId: id, state, updatedAt: state ? state.updatedAt : Math.floor(info.mtimeMs), partBytes: info.size })
    }
    return found
  }
}

/** Bytes of the files in a directory (one level); 0 when it does not exist. */
export async function directoryBytes(dir: string): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[])
  let total = 0
  for (const name of names) total += await stat(join(dir, name)).then((s) => (s.isFile() ? s.size : 0), () => 0)
  return total
}
