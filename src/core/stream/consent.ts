/**
 * Whose stream offers a node takes without asking: its owner's. That is the
 * node's own key, the owner's identity key when the node's home has one, and
 * the keys on the node's allow-list (`borg stream allow KEY`). Anyone else's
 * offer waits for the owner (pending.ts).
 *
 * The allow-list is `<streams dir>/allow.json`, written crash-safe; at most
 * MAX_ALLOWED keys.
 */
import { join } from 'node:path'
import { BorgError } from '../errors.js'
import { bytesToHex } from '../bytes.js'
import type { Logger } from '../log.js'
import { JsonStateFile } from '../store/json-file.js'
import { isKeyIdHex, parseKeyIdHex } from '../crypto/key-id.js'

export const MAX_ALLOWED = 1024

export class AllowList {
  private readonly file: JsonStateFile
  private readonly keys = new Set<string>()

  constructor(
    dir: string,
    log: Logger,
  ) {
    this.file = new JsonStateFile(join(dir, 'allow.json'), log, { name: 'allowed keys', warnKey: 'allow-corrupt' })
  }

  async open(): Promise<void> {
    // Allowing too few is safe (their offers wait for the owner).
    const saved = (await this.file.load()) as { keys?: unknown } | undefined
    const keys = typeof saved === 'object' && saved !== null && Array.isArray(saved.keys) ? saved.keys : []
    for (const key of keys) if (isKeyIdHex(key) && this.keys.size < MAX_ALLOWED) this.keys.add(key)
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
    return this.file.save(`${JSON.stringify({ keys: this.list() }, null, 2)}\n`)
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
