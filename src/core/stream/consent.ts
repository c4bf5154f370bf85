/**
 * Whose stream offers a node takes without asking: its owner's. That is the
 * node's own key, the owner's identity key when the node's home has one, and
 * the keys on the node's allow-list (`borg stream allow KEY`). Anyone else's
 * offer waits for the owner (pending.ts).
 *
 * The allow-list is `<streams dir>/allow.json`, written crash-safe; at most
 * MAX_ALLOWED keys.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { BorgError } from '../errors.js'
import { bytesToHex } from '../bytes.js'
import type { Logger } from '../log.js'
import { writeFileAtomic } from '../store/atomic-file.js'
import { isKeyIdHex, parseKeyIdHex } from '../crypto/key-id.js'

export const MAX_ALLOWED = 1024

export class AllowList {
  private readonly path: string
  private readonly keys = new Set<string>()
  private saving: Promise<void> = Promise.resolve()

  constructor(
    dir: string,
    private readonly log: Logger,
  ) {
    this.path = join(dir, 'allow.json')
  }

  async open(): Promise<void> {
    const text = await readFile(this.path, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined
      throw e
    })
    if (text === undefined) return
    try {
      const saved = JSON.parse(text) as { keys?: unknown }
      for (const key of Array.isArray(saved.keys) ? saved.keys : []) if (isKeyIdHex(key) && this.keys.size < MAX_ALLOWED) this.keys.add(key)
    } catch (error) {
      // Allowing too few is safe (their offers wait for the owner); refusing to start is not.
      this.log.warn(`streams: ${this.path} is unreadable (${(error as Error).message}); starting with an empty allow-list`, 'allow-corrupt')
    }
  }

  has(key: string): boolean {
    return this.keys.has(key)
  }

  list(): string[] {
    return [...this.keys].sort()
  }

  /** Add a key (hex key id, checked); false when it was already there. */
  async add(text: string): Promise<boolean> {
    const key = bytesToHex(parseKeyIdHex(text, 'the key'))
    if (this.keys.has(key)) return false
    if (this.keys.size >= MAX_ALLOWED) throw new BorgError('refused', `the allow-list is full (${MAX_ALLOWED} keys); remove one with "borg stream deny KEY"`)
    this.keys.add(key)
    await this.save()
    return true
  }

  async remove(text: string): Promise<boolean> {
    const key = text.trim().toLowerCase()
    if (!this.keys.delete(key)) return false
    await this.save()
    return true
  }

  private save(): Promise<void> {
    const text = `${JSON.stringify({ keys: this.list() }, null, 2)}\n`
    this.saving = this.saving.catch(() => {}).then(() => writeFileAtomic(this.path, text))
    return this.saving
  }
}

/** Decides whose offers are taken without asking. */
export class Consent {
  constructor(
    private readonly ownId: string,
    private readonly ownerIdentity: () => Promise<string | undefined>,
    readonly allowed: AllowList,
  ) {}

  async owner(sender: string): Promise<'own key' | 'owner identity' | 'allow-list' | undefined> {
    if (sender === this.ownId) return 'own key'
    if (this.allowed.has(sender)) return 'allow-list'
    const identity = await this.ownerIdentity().catch(() => undefined)
    return identity !== undefined && sender === identity ? 'owner identity' : undefined
  }
}
