/**
 * Manifests a shard cell keeps: the signed envelopes, one file each at
 * `<dir>/manifests/<file id>`, written crash-safely, and an in-memory index by
 * owner for `borg shard ls`. Every manifest is verified (signature, body hash
 * = its id) before it is stored and again when it is loaded.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { BorgError } from '../../core/errors.js'
import type { Logger } from '../../core/log.js'
import { writeFileAtomic } from '../../core/store/atomic-file.js'
import { openManifest, type Manifest } from '../../core/storage/manifest.js'
import { isSha256Hex } from '../../core/storage/names.js'

export function checkFileId(id: unknown): string {
  if (!isSha256Hex(id)) throw new BorgError('invalid-input', `not a file id (64 hex digits): ${JSON.stringify(String(id).slice(0, 80))}`)
  return id
}

export class ManifestStore {
  private readonly dir: string
  /** owner key id → file ids. */
  private readonly byOwner = new Map<string, Set<string>>()
  private readonly owners = new Map<string, string>()

  constructor(
    dataDir: string,
    private readonly log: Logger,
  ) {
    this.dir = join(dataDir, 'manifests')
  }

  get count(): number {
    return this.owners.size
  }

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    for (const name of await readdir(this.dir)) {
      if (name.startsWith('.')) {
        await rm(join(this.dir, name), { force: true }) // a temp file left by a crash
        continue
      }
      if (!isSha256Hex(name)) continue
      try {
        this.index(openManifest(new Uint8Array(await readFile(join(this.dir, name))), name))
      } catch (error) {
        this.log.warn(`dropping manifest ${name}: ${(error as Error).message}`, 'manifest-corrupt')
        await rm(join(this.dir, name), { force: true })
      }
    }
  }

  /** Verify and keep a manifest; the same one again is a no-op. */
  async put(bytes: Uint8Array): Promise<{ manifest: Manifest; stored: boolean }> {
    const manifest = openManifest(bytes)
    if (this.owners.has(manifest.id)) return { manifest, stored: false }
    await writeFileAtomic(join(this.dir, manifest.id), manifest.bytes, 0o600)
    this.index(manifest)
    return { manifest, stored: true }
  }

  async get(id: string): Promise<Manifest | undefined> {
    checkFileId(id)
    if (!this.owners.has(id)) return undefined
    try {
      return openManifest(new Uint8Array(await readFile(join(this.dir, id))), id)
    } catch (error) {
      this.log.warn(`manifest ${id} unreadable: ${(error as Error).message}`, 'manifest-corrupt')
      await this.remove(id)
      return undefined
    }
  }

  idsOf(owner: string): string[] {
    return [...(this.byOwner.get(owner) ?? [])]
  }

  ownerOf(id: string): string | undefined {
    return this.owners.get(id)
  }

  ids(): IterableIterator<string> {
    return this.owners.keys()
  }

  async remove(id: string): Promise<boolean> {
    checkFileId(id)
    const owner = this.owners.get(id)
    await rm(join(this.dir, id), { force: true })
    if (owner === undefined) return false
    this.owners.delete(id)
    this.byOwner.get(owner)?.delete(id)
    return true
  }

  private index(m: Manifest): void {
    this.owners.set(m.id, m.owner)
    let set = this.byOwner.get(m.owner)
    if (!set) this.byOwner.set(m.owner, (set = new Set()))
    set.add(m.id)
  }
}
