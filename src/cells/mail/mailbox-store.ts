/**
 * What a mail cell keeps (docs/mail.md "Mailboxes"): gift wraps by recipient,
 * one file each at `<dir>/mail/<recipient>/<wrap id>.json` (`{"storedAt",
 * "wrap"}`, written crash-safely), and the recipient's deletions as
 * tombstones (`<wrap id>.deleted`) so a copy from another mailbox is not
 * taken back. Every wrap is checked (shape, id, signature) before it is
 * stored and again when it is loaded. A wrap holds no sender, subject or body
 * in clear: the disk never does either.
 *
 * Bounds: wraps and bytes per recipient, bytes in all; retention from the time
 * a wrap was stored here (wraps and tombstones alike).
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { BorgError } from '../../core/errors.js'
import { hexToBytes, utf8 } from '../../core/bytes.js'
import type { Logger } from '../../core/log.js'
import { writeFileAtomic } from '../../core/store/atomic-file.js'
import { SortedItems } from '../../core/records/negentropy.js'
import { checkWrap, type NostrEvent } from '../../core/mail/gift-wrap.js'

export interface MailboxLimits {
  perRecipientWraps: number
  perRecipientBytes: number
  totalBytes: number
  retentionMs: number
}

export const DEFAULT_MAILBOX_LIMITS: MailboxLimits = {
  perRecipientWraps: 5_000,
  perRecipientBytes: 64 * 1024 * 1024,
  totalBytes: 2 * 1024 ** 3,
  retentionMs: 30 * 24 * 3600_000,
}

interface Held {
  wrap: NostrEvent
  bytes: Uint8Array
  storedAt: number
}

/** One recipient's mailbox here: its wraps, their (time, id) items for reconciliation, its tombstones. */
export class Mailbox {
  readonly wraps = new Map<string, Held>()
  readonly deleted = new Map<string, number>()
  readonly items = new SortedItems()
  size = 0

  constructor(readonly recipient: string) {}

  /** For the shared reconciliation code (src/core/records/sync.ts). */
  get policy(): { name: string } {
    return { name: `mail:${this.recipient.slice(0, 16)}` }
  }

  get(id: string): { bytes: Uint8Array } | undefined {
    return this.wraps.get(id)
  }
}

const ID = /^[0-9a-f]{64}$/

export class MailboxStore {
  readonly dir: string
  private readonly boxes = new Map<string, Mailbox>()
  private used = 0

  constructor(
    dataDir: string,
    private readonly log: Logger,
    readonly limits: MailboxLimits = DEFAULT_MAILBOX_LIMITS,
  ) {
    this.dir = join(dataDir, 'mail')
  }

  get usedBytes(): number {
    return this.used
  }

  get wrapCount(): number {
    let n = 0
    for (const b of this.boxes.values()) n += b.wraps.size
    return n
  }

  recipients(): string[] {
    return [...this.boxes.keys()]
  }

  box(recipient: string): Mailbox | undefined {
    return this.boxes.get(recipient)
  }

  private boxOf(recipient: string): Mailbox {
    let box = this.boxes.get(recipient)
    if (!box) this.boxes.set(recipient, (box = new Mailbox(recipient)))
    return box
  }

  async open(now: number): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    for (const recipient of await readdir(this.dir)) {
      if (!ID.test(recipient)) continue
      const dir = join(this.dir, recipient)
      for (const name of await readdir(dir)) {
        const path = join(dir, name)
        if (name.startsWith('.')) {
          await rm(path, { force: true }) // a temp file left by a crash
          continue
        }
        const [id, ext] = name.split('.')
        if (!id || !ID.test(id)) continue
        try {
          if (ext === 'deleted') this.boxOf(recipient).deleted.set(id, Number(await readFile(path, 'utf8')))
          else if (ext === 'json') {
            const { storedAt, wrap } = JSON.parse(await readFile(path, 'utf8')) as { storedAt: number; wrap: unknown }
            const checked = checkWrap(wrap)
            if (checked.recipient !== recipient || checked.wrap.id !== id || !Number.isSafeInteger(storedAt)) throw new Error('does not match its place')
            this.hold(recipient, checked.wrap, storedAt)
          }
        } catch (error) {
          this.log.warn(`mail: dropping ${recipient.slice(0, 12)}/${name}: ${(error as Error).message}`, 'mail-corrupt')
          await rm(path, { force: true })
        }
      }
    }
    await this.gc(now)
  }

  private hold(recipient: string, wrap: NostrEvent, storedAt: number): Held {
    const box = this.boxOf(recipient)
    const held = { wrap, bytes: utf8.encode(JSON.stringify(wrap)), storedAt }
    box.wraps.set(wrap.id, held)
    box.items.add({ timestamp: wrap.created_at, id: hexToBytes(wrap.id) })
    box.size += held.bytes.length
    this.used += held.bytes.length
    return held
  }

  /**
   * Keep a checked wrap for its recipient: `known` when held already; refused when the recipient
   * deleted it, or over a bound (the recipient's, or this node's).
   */
  async put(recipient: string, wrap: NostrEvent, now: number): Promise<'stored' | 'known'> {
    const box = this.boxOf(recipient)
    if (box.wraps.has(wrap.id)) return 'known'
    if (box.deleted.has(wrap.id)) throw new BorgError('refused', 'the recipient deleted this mail')
    const size = utf8.encode(JSON.stringify(wrap)).length
    if (box.wraps.size >= this.limits.perRecipientWraps || box.size + size > this.limits.perRecipientBytes) throw new BorgError('refused', `this mailbox is full for that recipient (at most ${this.limits.perRecipientWraps} mails, ${this.limits.perRecipientBytes} bytes)`)
    if (this.used + size > this.limits.totalBytes) throw new BorgError('refused', 'this mail cell has no room left')
    const path = join(this.dir, recipient, `${wrap.id}.json`)
    await writeFileAtomic(path, JSON.stringify({ storedAt: now, wrap }))
    // Deleted, or stored by a concurrent put, while the file was written: the tombstone wins, and a wrap is held once.
    if (box.deleted.has(wrap.id)) {
      await rm(path, { force: true })
      throw new BorgError('refused', 'the recipient deleted this mail')
    }
    if (box.wraps.has(wrap.id)) return 'known'
    this.hold(recipient, wrap, now)
    return 'stored'
  }

  /** Newest first (by the time stored here, then id), after wrap `before`. */
  list(recipient: string, limit: number, before?: string): { wraps: NostrEvent[]; more: boolean; deleted: string[] } {
    const box = this.boxes.get(recipient)
    if (!box) return { wraps: [], more: false, deleted: [] }
    const all = [...box.wraps.values()].sort((a, b) => b.storedAt - a.storedAt || (a.wrap.id < b.wrap.id ? 1 : -1))
    const from = before ? all.findIndex((h) => h.wrap.id === before) + 1 : 0
    const page = all.slice(from, from + limit)
    return { wraps: page.map((h) => h.wrap), more: from + limit < all.length, deleted: [...box.deleted.keys()].slice(0, 10_000) }
  }

  get(recipient: string, ids: string[]): NostrEvent[] {
    const box = this.boxes.get(recipient)
    return box ? ids.map((id) => box.wraps.get(id)?.wrap).filter((w): w is NostrEvent => w !== undefined) : []
  }

  /** The recipient deletes: gone here, and a tombstone keeps it from coming back. */
  async delete(recipient: string, ids: string[], now: number): Promise<number> {
    const box = this.boxOf(recipient)
    let deleted = 0
    for (const id of ids) {
      if (!box.deleted.has(id)) await writeFileAtomic(join(this.dir, recipient, `${id}.deleted`), String(now))
      box.deleted.set(id, now)
      if (this.drop(box, id)) deleted++
      await rm(join(this.dir, recipient, `${id}.json`), { force: true })
    }
    return deleted
  }

  private drop(box: Mailbox, id: string): boolean {
    const held = box.wraps.get(id)
    if (!held) return false
    box.wraps.delete(id)
    box.items.remove({ timestamp: held.wrap.created_at, id: hexToBytes(id) })
    box.size -= held.bytes.length
    this.used -= held.bytes.length
    return true
  }

  /** Past retention (from the time stored or deleted here): wraps and tombstones go. */
  async gc(now: number): Promise<number> {
    let dropped = 0
    for (const box of this.boxes.values()) {
      for (const [id, held] of box.wraps) {
        if (now - held.storedAt < this.limits.retentionMs) continue
        this.drop(box, id)
        await rm(join(this.dir, box.recipient, `${id}.json`), { force: true })
        dropped++
      }
      for (const [id, at] of box.deleted) {
        if (now - at < this.limits.retentionMs) continue
        box.deleted.delete(id)
        await rm(join(this.dir, box.recipient, `${id}.deleted`), { force: true })
      }
      if (box.wraps.size === 0 && box.deleted.size === 0) this.boxes.delete(box.recipient)
    }
    return dropped
  }
}
