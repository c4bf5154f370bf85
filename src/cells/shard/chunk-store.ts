/**
 * The shard cell's on-disk chunk store: content-addressed, one directory per
 * cell. A chunk is named by the lowercase hex SHA-256 of its bytes and lives at
 * `<dir>/chunks/<first 2 hex>/<hash>`; the fan-out keeps directories small.
 *
 * Writes go through writeFileAtomic (temp file in the same fan-out directory,
 * fsync, rename, fsync the directory), or for a batch writeFilesAtomic (the
 * same steps as one group commit), so after a crash only complete chunks
 * exist under their names; open() removes the leftover temp files.
 *
 * Reads are verified: a chunk whose bytes no longer hash to its name is
 * deleted and reported as missing, so the caller fetches it from another
 * holder. With `verifiedTtlMs`, a chunk whose bytes were hashed (stored,
 * read or scrubbed) less than that long ago and whose size is unchanged is
 * served without hashing it again: a hot file's readers do not pay a SHA-256
 * pass per read on the holder, every reader checks each chunk itself, and the
 * scrub re-hashes everything in turn.
 */
import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { BorgError } from '../../core/errors.js'
import { silentLogger, type Logger } from '../../core/log.js'
import { fsyncDirectory, writeFileAtomic, writeFilesAtomic } from '../../core/store/atomic-file.js'
import { isSha256Hex } from '../../core/storage/names.js'

export interface ChunkStoreOptions {
  dir: string
  quotaBytes: number
  log?: Logger
  /** Serve a chunk hashed less than this long ago without hashing it again (default 0: every read hashes). */
  verifiedTtlMs?: number
}

/** Chunks remembered as recently verified (the oldest are forgotten first). */
const MAX_VERIFIED = 65_536

export interface ChunkStoreStats {
  chunks: number
  usedBytes: number
  /** put() calls that wrote a new chunk. */
  stored: number
  /** put() calls for a chunk that was already here. */
  existed: number
  /** Chunks found corrupt (by get, put or scrub) and deleted. */
  corrupt: number
  /** put() calls refused because the quota was reached. */
  refusedFull: number
}

const FANOUT = /^[0-9a-f]{2}$/

export function chunkHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

// writeFileAtomic names its temp files `.<target name>.<random>.tmp`; chunk
// names never start with a dot, so nothing else in a fan-out directory matches.
function isTempName(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp')
}

export class ChunkStore {
  readonly dir: string
  readonly quotaBytes: number
  private readonly log: Logger
  private readonly chunksDir: string
  private opened = false
  private used = 0
  /** Bytes of puts in flight, so concurrent puts of different chunks cannot overshoot the quota together. */
  private reserved = 0
  private readonly counters = { chunks: 0, stored: 0, existed: 0, corrupt: 0, refusedFull: 0 }
  /** Tail of the operation queue per hash: puts, deletes and corrupt-chunk removals of one hash never interleave. */
  private readonly locks = new Map<string, Promise<void>>()
  /** Fan-out directories known to exist, so each is created (and made durable) once. */
  private readonly fanouts = new Set<string>()
  /** Last hash scrub() checked; the next scrub continues after it. */
  private scrubCursor: string | undefined
  /** hash → when its bytes were last hashed and found right (monotonic ms), and their size. */
  private readonly verified = new Map<string, { at: number; size: number }>()
  private readonly verifiedTtlMs: number

  constructor(options: ChunkStoreOptions) {
    if (!Number.isSafeInteger(options.quotaBytes) || options.quotaBytes < 0) {
      throw new BorgError('invalid-input', `chunk store quota must be a non-negative integer number of bytes, got ${options.quotaBytes}`)
    }
    this.dir = options.dir
    this.quotaBytes = options.quotaBytes
    this.log = options.log ?? silentLogger
    this.chunksDir = join(options.dir, 'chunks')
    this.verifiedTtlMs = options.verifiedTtlMs ?? 0
  }

  private markVerified(hash: string, size: number): void {
    if (this.verifiedTtlMs <= 0) return
    this.verified.delete(hash) // re-inserted at the end: the map stays in age order
    this.verified.set(hash, { at: performance.now(), size })
    if (this.verified.size > MAX_VERIFIED) this.verified.delete(this.verified.keys().next().value!)
  }

  private recentlyVerified(hash: string, size: number): boolean {
    const v = this.verified.get(hash)
    return v !== undefined && v.size === size && performance.now() - v.at < this.verifiedTtlMs
  }

  get usedBytes(): number {
    return this.used
  }

  get freeBytes(): number {
    return Math.max(0, this.quotaBytes - this.used)
  }

  get stats(): ChunkStoreStats {
    const { chunks, stored, existed, corrupt, refusedFull } = this.counters
    return { chunks, usedBytes: this.used, stored, existed, corrupt, refusedFull }
  }

  /** Creates the directory, removes temp files left by a crash and counts the chunks (sizes only; scrub() re-hashes). */
  async open(): Promise<void> {
    await mkdir(this.chunksDir, { recursive: true, mode: 0o700 })
    await fsyncDirectory(this.dir)
    let chunks = 0
    let used = 0
    let temps = 0
    for (const prefix of await this.fanoutDirs()) {
      this.fanouts.add(prefix)
      for (const name of await listDir(join(this.chunksDir, prefix))) {
        const path = join(this.chunksDir, prefix, name)
        if (isTempName(name)) {
          await rm(path, { force: true })
          temps++
        } else if (isSha256Hex(name) && name.startsWith(prefix)) {
          const size = await fileSize(path)
          if (size === undefined) continue
          chunks++
          used += size
        } else {
          this.log.debug(`ignoring unexpected file ${path}`)
        }
      }
    }
    this.counters.chunks = chunks
    this.used = used
    this.opened = true
    if (temps > 0) this.log.info(`removed ${temps} temp file(s) left by an interrupted write in ${this.chunksDir}`)
  }

  /** Stores a chunk after checking that its bytes hash to `hash`. Idempotent. */
  /**
   * `verified`: the caller has just hashed these very bytes (a transport checks
   * a message body against its signed hash), so a second pass is skipped.
   */
  async put(hash: string, bytes: Uint8Array, options: { verified?: boolean } = {}): Promise<'stored' | 'exists'> {
    const path = this.pathOf(hash)
    if (!(bytes instanceof Uint8Array)) throw new BorgError('invalid-input', 'chunk bytes must be a Uint8Array')
    if (!options.verified) {
      const actual = chunkHash(bytes)
      if (actual !== hash) throw new BorgError('body-hash-mismatch', `chunk bytes hash to ${actual}, not ${hash}`)
    }

    return this.withLock(hash, async () => {
      const admitted = await this.admit(hash, path, bytes)
      if (admitted === 'exists') return 'exists'
      const size = bytes.byteLength
      if (admitted === 'full') {
        throw new BorgError(
          'unavailable',
          `chunk store is full: ${this.used} of ${this.quotaBytes} bytes used` +
            (this.reserved > 0 ? ` (+${this.reserved} being written)` : '') +
            `, chunk ${hash} needs ${size} more`,
          { details: { reason: 'full', usedBytes: this.used, quotaBytes: this.quotaBytes, neededBytes: size } },
        )
      }
      try {
        await this.ensureFanout(hash.slice(0, 2))
        await writeFileAtomic(path, bytes)
        this.markVerified(hash, size)
        this.used += size
        this.counters.chunks++
      } finally {
        this.reserved -= size
      }
      this.counters.stored++
      return 'stored'
    })
  }

  /**
   * Store many chunks as one group commit (src/core/store/atomic-file.ts:
   * all written, all fsynced, all renamed, each directory fsynced once), each
   * already checked against its name by the caller (a transport checks every
   * part of a parts body against its signed hash). One outcome per item, in
   * order: `full` when the quota has no room for it. Resolves only once every
   * stored chunk is durable; throws (storing none of the new ones for
   * certain) when the disk fails.
   */
  async putMany(items: readonly { hash: string; bytes: Uint8Array }[]): Promise<('stored' | 'exists' | 'full')[]> {
    const paths = items.map((item) => this.pathOf(item.hash))
    return this.withLocks(
      items.map((item) => item.hash),
      async () => {
        const outcomes: ('stored' | 'exists' | 'full' | undefined)[] = []
        const fresh: number[] = []
        const seen = new Set<string>()
        for (let k = 0; k < items.length; k++) {
          const { hash, bytes } = items[k]!
          if (seen.has(hash)) {
            outcomes.push('exists') // the same chunk twice in one batch
            continue
          }
          seen.add(hash)
          const admitted = await this.admit(hash, paths[k]!, bytes)
          if (admitted === 'write') fresh.push(k)
          outcomes.push(admitted === 'write' ? undefined : admitted)
        }
        const freshBytes = fresh.reduce((sum, k) => sum + items[k]!.bytes.byteLength, 0)
        try {
          for (const prefix of new Set(fresh.map((k) => items[k]!.hash.slice(0, 2)))) await this.ensureFanout(prefix)
          await writeFilesAtomic(fresh.map((k) => ({ path: paths[k]!, data: items[k]!.bytes })))
        } catch (error) {
          // Some may have been renamed into place before the failure: count what is on disk now.
          for (const k of fresh) {
            const size = await fileSize(paths[k]!)
            if (size === undefined) continue
            this.used += size
            this.counters.chunks++
          }
          throw error
        } finally {
          this.reserved -= freshBytes
        }
        for (const k of fresh) {
          const { hash, bytes } = items[k]!
          this.markVerified(hash, bytes.byteLength)
          this.used += bytes.byteLength
          this.counters.chunks++
          this.counters.stored++
          outcomes[k] = 'stored'
        }
        return outcomes as ('stored' | 'exists' | 'full')[]
      },
    )
  }

  /**
   * Whether verified `bytes` for `hash` need writing, with the hash's lock held: `exists` when an
   * equal copy is here (a different one is corrupt and is dropped first), `full` when the quota has
   * no room, else `write`, with their size reserved (the caller releases it).
   */
  private async admit(hash: string, path: string, bytes: Uint8Array): Promise<'exists' | 'full' | 'write'> {
    const existing = await readIfExists(path)
    if (existing !== undefined) {
      if (Buffer.from(existing.buffer, existing.byteOffset, existing.byteLength).equals(bytes)) {
        this.counters.existed++
        this.markVerified(hash, bytes.byteLength)
        return 'exists'
      }
      // Differs from bytes we just verified, so the file on disk is corrupt: drop it and store afresh.
      this.reportCorrupt(hash, 'found while storing it again')
      await this.removeFile(path)
    }
    if (this.used + this.reserved + bytes.byteLength > this.quotaBytes) {
      this.counters.refusedFull++
      return 'full'
    }
    this.reserved += bytes.byteLength
    return 'write'
  }

  /** The chunk's bytes, verified; undefined when missing or found corrupt (then it is deleted). */
  async get(hash: string): Promise<Uint8Array | undefined> {
    const path = this.pathOf(hash)
    const bytes = await readIfExists(path)
    if (bytes === undefined) return undefined
    if (this.recentlyVerified(hash, bytes.length)) return bytes
    if (chunkHash(bytes) === hash) {
      this.markVerified(hash, bytes.length)
      return bytes
    }
    await this.removeIfCorrupt(hash, 'found on read')
    return undefined
  }

  /**
   * Hash the chunk again now, whatever was verified before (a reader reported
   * bytes that do not match its name): 'good', 'dropped' (corrupt, deleted)
   * or 'absent'.
   */
  async recheck(hash: string): Promise<'good' | 'dropped' | 'absent'> {
    const path = this.pathOf(hash)
    return this.withLock(hash, async () => {
      const bytes = await readIfExists(path)
      if (bytes === undefined) return 'absent'
      if (chunkHash(bytes) === hash) {
        this.markVerified(hash, bytes.length)
        return 'good'
      }
      this.reportCorrupt(hash, 'reported by a reader, hashed again')
      return (await this.removeFile(path)) ? 'dropped' : 'absent'
    })
  }

  /** Whether a file exists under this name; does not read or verify it. */
  async has(hash: string): Promise<boolean> {
    return (await fileSize(this.pathOf(hash))) !== undefined
  }

  async delete(hash: string): Promise<boolean> {
    const path = this.pathOf(hash)
    return this.withLock(hash, () => this.removeFile(path))
  }

  /** Every chunk on disk, in hash order. Names are not re-verified here. */
  async *list(): AsyncIterable<{ hash: string; size: number }> {
    this.assertOpen()
    yield* this.walk()
  }

  /**
   * Re-hashes up to `maxChunks` chunks, continuing after the last call's cursor
   * and wrapping around, so repeated small scrubs cover the whole store.
   */
  async scrub(options: { maxChunks?: number } = {}): Promise<{ checked: number; corrupt: string[] }> {
    this.assertOpen()
    const budget = options.maxChunks ?? Infinity
    if (!(budget >= 0)) throw new BorgError('invalid-input', `scrub maxChunks must be >= 0, got ${options.maxChunks}`)
    const start = this.scrubCursor
    const corrupt: string[] = []
    let checked = 0

    // Returns false once the budget is spent.
    const check = async (hash: string): Promise<boolean> => {
      if (checked >= budget) return false
      checked++
      this.scrubCursor = hash
      const bytes = await readIfExists(join(this.chunksDir, hash.slice(0, 2), hash))
      if (bytes === undefined) return true
      if (chunkHash(bytes) === hash) this.markVerified(hash, bytes.length)
      else if (await this.removeIfCorrupt(hash, 'found by scrub')) corrupt.push(hash)
      return true
    }

    for await (const { hash } of this.walk(start)) {
      if (!(await check(hash))) return { checked, corrupt }
    }
    // Reached the end: wrap around to the chunks before where this call started.
    this.scrubCursor = undefined
    if (start !== undefined) {
      for await (const { hash } of this.walk()) {
        if (hash > start || !(await check(hash))) break
      }
    }
    return { checked, corrupt }
  }

  /** The only way a hash becomes a path: validated first, so `../` and friends never reach the filesystem. */
  private pathOf(hash: unknown): string {
    this.assertOpen()
    if (!isSha256Hex(hash)) {
      const shown = typeof hash === 'string' ? JSON.stringify(hash.slice(0, 80)) : typeof hash
      throw new BorgError('invalid-input', `not a chunk id (64 lowercase hex characters): ${shown}`)
    }
    return join(this.chunksDir, hash.slice(0, 2), hash)
  }

  private assertOpen(): void {
    if (!this.opened) throw new BorgError('internal', 'ChunkStore used before open()')
  }

  private withLock<T>(hash: string, task: () => Promise<T>): Promise<T> {
    return this.withLocks([hash], task)
  }

  /** `task` under the locks of every hash at once (registered in one synchronous step, so two batches cannot deadlock). */
  private async withLocks<T>(hashes: readonly string[], task: () => Promise<T>): Promise<T> {
    const unique = [...new Set(hashes)]
    const previous = unique.map((hash) => this.locks.get(hash) ?? Promise.resolve())
    const result = Promise.all(previous).then(task)
    const tail = result.then(
      () => {},
      () => {},
    )
    for (const hash of unique) this.locks.set(hash, tail)
    try {
      return await result
    } finally {
      for (const hash of unique) if (this.locks.get(hash) === tail) this.locks.delete(hash)
    }
  }

  /** Re-checks under the lock (a concurrent put may have repaired it) and deletes the chunk if still corrupt. */
  private removeIfCorrupt(hash: string, how: string): Promise<boolean> {
    const path = join(this.chunksDir, hash.slice(0, 2), hash)
    return this.withLock(hash, async () => {
      const bytes = await readIfExists(path)
      if (bytes === undefined || chunkHash(bytes) === hash) return false
      this.reportCorrupt(hash, how)
      return this.removeFile(path)
    })
  }

  private reportCorrupt(hash: string, how: string): void {
    this.counters.corrupt++
    this.log.warn(`chunk ${hash} is corrupt (${how}); deleting it so it is fetched again from another holder`, 'chunk-corrupt')
  }

  /** Unlinks a chunk file and updates the accounting; call with the hash's lock held. */
  private async removeFile(path: string): Promise<boolean> {
    const size = await fileSize(path)
    if (size === undefined) return false
    try {
      await rm(path)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
      throw error
    }
    this.verified.delete(basename(path))
    // No directory fsync: a deletion undone by a crash leaves a valid chunk, and open() recounts.
    // The accounting follows sizes on disk; a file resized behind our back skews it until the next open(), never below zero.
    this.used = Math.max(0, this.used - size)
    this.counters.chunks--
    return true
  }

  private async ensureFanout(prefix: string): Promise<void> {
    if (this.fanouts.has(prefix)) return
    await mkdir(join(this.chunksDir, prefix), { recursive: true, mode: 0o700 })
    // Make the new directory's entry durable, or a crash could lose every chunk renamed into it.
    await fsyncDirectory(this.chunksDir)
    this.fanouts.add(prefix)
  }

  private async fanoutDirs(): Promise<string[]> {
    return (await listDir(this.chunksDir)).filter((name) => FANOUT.test(name))
  }

  /** Chunks in hash order, strictly after `after` when given. */
  private async *walk(after?: string): AsyncGenerator<{ hash: string; size: number }> {
    const afterPrefix = after?.slice(0, 2) ?? ''
    for (const prefix of await this.fanoutDirs()) {
      if (prefix < afterPrefix) continue
      for (const name of await listDir(join(this.chunksDir, prefix))) {
        if (!isSha256Hex(name) || !name.startsWith(prefix) || (after !== undefined && name <= after)) continue
        const size = await fileSize(join(this.chunksDir, prefix, name))
        if (size !== undefined) yield { hash: name, size }
      }
    }
  }
}

/** Sorted entry names; an absent directory is empty (it may vanish between listings). */
async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path)
    return info.isFile() ? info.size : undefined
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

async function readIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    const buffer = await readFile(path)
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'EISDIR') return undefined
    throw error
  }
}

