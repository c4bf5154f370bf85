/**
 * Crash-safe file writes: write a temp file in the same directory, fsync it,
 * rename it over the target, fsync the directory. A reader sees the old file
 * or the new one, never a torn one. `writeFilesAtomic` does the same for many
 * files as one group commit: every temp file written, then all fsynced, then
 * all renamed, then each directory fsynced once, so the filesystem's journal
 * commits a batch in a few flushes rather than two per file.
 */
import { mkdir, open, rename, rm } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { basename, dirname, join } from 'node:path'

export async function writeFileAtomic(path: string, data: Uint8Array | string, mode = 0o600): Promise<void> {
  const dir = dirname(path)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const temp = tempPathFor(path)
  const handle = await open(temp, 'wx', mode)
  try {
    await handle.writeFile(data)
    await handle.sync()
  } catch (error) {
    await handle.close().catch(() => {})
    await rm(temp, { force: true })
    throw error
  }
  await handle.close()
  try {
    await rename(temp, path)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
  await fsyncDirectory(dir)
}

/** Make a directory's entries (a rename, a new file) durable; best effort where the filesystem refuses. */
export async function fsyncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
  }
}

/** Where a file is written before its rename: `.<name>.<random>.tmp` beside it (open() of a store removes these). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
}

/**
 * Write many files crash-safely as one group commit (their directories must
 * exist). When it resolves every file is durable under its name; if it
 * throws, each file is either absent or complete under its name (a rename
 * is atomic), and no temp file is left behind except by a crash, which the
 * owner's start-up sweep removes.
 */
export async function writeFilesAtomic(files: readonly { path: string; data: Uint8Array }[], mode = 0o600): Promise<void> {
  const temps = files.map((f) => tempPathFor(f.path))
  const renamed = new Set<number>()
  try {
    // Written and flushed in parallel: concurrent fsyncs share the journal's commits.
    await Promise.all(
      files.map(async (file, k) => {
        const handle = await open(temps[k]!, 'wx', mode)
        try {
          await handle.writeFile(file.data)
          await handle.sync()
        } finally {
          await handle.close()
        }
      }),
    )
    for (let k = 0; k < files.length; k++) {
      await rename(temps[k]!, files[k]!.path)
      renamed.add(k)
    }
  } catch (error) {
    await Promise.all(temps.map((temp, k) => (renamed.has(k) ? undefined : rm(temp, { force: true }))))
    throw error
  }
  await Promise.all([...new Set(files.map((f) => dirname(f.path)))].map(fsyncDirectory))
}
