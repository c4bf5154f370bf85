/**
 * Create a file only if it does not exist yet, crash-safely: the content is
 * written and fsynced under a temporary name, then hard-linked into place.
 * link(2) fails with EEXIST instead of replacing, so two processes creating
 * the same key at once cannot both win (rename would silently overwrite).
 */
import { link, open, rm } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import { writeFileAtomic } from '../store/atomic-file.js'

/** Returns false, writing nothing, when `path` already exists. */
export async function writeFileExclusive(path: string, data: Uint8Array | string, mode = 0o600): Promise<boolean> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.new`)
  await writeFileAtomic(temp, data, mode)
  try {
    await link(temp, path)
    return true
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return false
    // Filesystems without hard links: fall back to an exclusive create (not crash-atomic, still never overwrites).
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') return createDirectly(path, data, mode)
    throw error
  } finally {
    await rm(temp, { force: true })
  }
}

async function createDirectly(path: string, data: Uint8Array | string, mode: number): Promise<boolean> {
  let handle
  try {
    handle = await open(path, 'wx', mode)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
  try {
    await handle.writeFile(data)
    await handle.sync()
  } finally {
    await handle.close()
  }
  return true
}
