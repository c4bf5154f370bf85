/**
 * Manifests a file manager keeps: the signed envelopes, one file each at
 * `<dir>/manifests/<file id>`, written crash-safely, and an in-memory index by
 * owner for `borg shard ls`. Every manifest is verified (signature, body hash
 * = its id) before it is stored and again when it is loaded.
 *
 * Removals are kept as tombstones at `<dir>/removals/<file id>` (the owner's
 * signed removal): a removed manifest is not taken back from a copy that
 * missed the removal, and the tombstone is shown to whoever offers one.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { BorgError } from '../../core/errors.js'
import type { Logger } from '../../core/log.js'
import { writeFileAtomic } from '../../core/store/atomic-file.js'
import { openManifest, type Manifest } from '../../core/storage/manifest.js'
import { checkFileId, isSha256Hex } from '../../core/storage/names.js'
import { openRemoval, removes, type Removal } from '../../core/storage/removal.js'

export class ManifestStore {
  readonly dir: string
  /** owner key id → file ids. */
  private readonly byOwner = new Map<string, Set<string>>()
  private readonly owners = new Map<string, string>()
  /** file id → its manifest's size on disk. */
  private readonly sizes = new Map<string, number>()
  private used = 0
  private readonly removalsDir: string
  /** Tombstones: file id → the owner's removal. */
  private readonly removals = new Map<string, Removal>()

  constructor(
    dataDir: string,
    private readonly log: Logger,
    /** Disk the manifests may take (anyone can put a validly signed manifest: this bounds what that costs). */
    readonly quotaBytes = Number.POSITIVE_INFINITY,
  ) {
    this.dir = join(dataDir, 'manifests')
    this.removalsDir = join(dataDir, 'removals')
  }

  get count(): number {
    return this.owners.size
  }

  get usedBytes(): number {
    return this.used
  }

  async open(): Promise<void> {
    await mkdir(this.removalsDir, { recursive: true, mode: 0o700 })
    for (const name of await readdir(this.removalsDir)) {
      if (name.startsWith('.')) await rm(join(this.removalsDir, name), { force: true }) // a temp file left by a crash
      if (!isSha256Hex(name)) continue
      try {
        this.removals.set(name, openRemoval(new Uint8Array(await readFile(join(this.removalsDir, name))), name))
      } catch (error) {
        this.log.warn(`dropping removal ${name}: ${(error as Error).message}`, 'removal-corrupt')
        await rm(join(this.removalsDir, name), { force: true })
      }
    }
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

  /**
   * Verify and keep a manifest; the same one again is a no-op. One its owner
   * removed (a tombstone not older than it) is refused: `removed` says why.
   */
  async put(bytes: Uint8Array): Promise<{ manifest: Manifest; stored: boolean; removed?: Removal }> {
    const manifest = openManifest(bytes)
    const removal = this.removals.get(manifest.id)
    if (removal && removes(removal, manifest)) return { manifest, stored: false, removed: removal }
    if (this.owners.has(manifest.id)) return { manifest, stored: false }
    if (this.used + manifest.bytes.length > this.quotaBytes) {
      throw new BorgError('unavailable', `manifest store is full: ${this.used} of ${this.quotaBytes} bytes used, manifest ${manifest.id} needs ${manifest.bytes.length}`, {
        details: { reason: 'full', usedBytes: this.used, quotaBytes: this.quotaBytes },
      })
    }
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

  removalOf(id: string): Removal | undefined {
    return this.removals.get(id)
  }

  get removalCount(): number {
    return this.removals.size
  }

  /**
   * Apply an owner's removal to the manifest held here: 'removed', 'absent'
   * (nothing held: nothing kept either, so nobody can fill the disk with
   * tombstones), 'refused' (signed by someone other than the owner) or
   * 'stale' (older than the manifest: the owner put the file again since).
   */
  async applyRemoval(removal: Removal): Promise<'removed' | 'absent' | 'refused' | 'stale'> {
    const manifest = await this.get(removal.id)
    if (!manifest) return 'absent'
    if (removal.owner !== manifest.owner) return 'refused'
    if (!removes(removal, manifest)) return 'stale'
    await writeFileAtomic(join(this.removalsDir, removal.id), removal.bytes, 0o600)
    this.removals.set(removal.id, removal)
    await this.remove(removal.id)
    return 'removed'
  }

  async remove(id: string): Promise<boolean> {
    checkFileId(id)
    const owner = this.owners.get(id)
    await rm(join(this.dir, id), { force: true })
    if (owner === undefined) return false
    this.owners.delete(id)
    this.byOwner.get(owner)?.delete(id)
    this.used -= this.sizes.get(id) ?? 0
    this.sizes.delete(id)
    return true
  }

  private index(m: Manifest): void {
    this.owners.set(m.id, m.owner)
    this.sizes.set(m.id, m.bytes.length)
    this.used += m.bytes.length
    let set = this.byOwner.get(m.owner)
    if (!set) this.byOwner.set(m.owner, (set = new Set()))
    set.add(m.id)
  }
}
