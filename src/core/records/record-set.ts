/**
 * One collection's records on one node (sans-I/O; docs/records.md): what
 * passed every rule, indexed for queries and for reconciliation (the
 * negentropy items are (created, id) of exactly these records). Deletions
 * are records too: they remove their target and keep it out until they
 * themselves expire, by the same rule on every node, so a peer that missed a
 * deletion cannot bring the record back.
 */
import { BorgError } from '../errors.js'
import { bytesToHex, equalBytes } from '../bytes.js'
import { decodeRecord, deletedId, type SignedRecord } from './record.js'
import { expiryOf, refusalOf, type CollectionPolicy } from './collection.js'
import { SortedItems } from './negentropy.js'

export interface HeldRecord extends SignedRecord {
  /** Seconds: when it leaves the set. */
  expiry: number
}

export interface Offered {
  outcome: 'stored' | 'known'
  id: string
  /** Ids this record removed from the set (the target of a deletion). */
  removed: string[]
}

export class RecordSet {
  readonly items = new SortedItems()
  private readonly byId = new Map<string, HeldRecord>()
  private readonly perAuthor = new Map<string, number>()
  /** Target id → the id of the deletion that keeps it out. */
  private readonly deletedBy = new Map<string, string>()
  private readonly blockedAuthors = new Set<string>()
  private readonly blockedIds = new Set<string>()
  private heldBytes = 0

  constructor(readonly policy: CollectionPolicy) {}

  get size(): number {
    return this.byId.size
  }

  /** Bytes of the records held (kept as they come and go: the store compares them with its log). */
  get bytes(): number {
    return this.heldBytes
  }

  /**
   * Decode, check and store a record at time `now` (seconds). Throws what the decoder throws
   * (`malformed`, `bad-signature`, …), `from-future`, `expired`, `too-large`, or `refused` for a rule
   * or a budget (the author's quota, the collection's bound); nothing is stored then.
   */
  offer(bytes: Uint8Array, now: number): Offered {
    const signed = decodeRecord(bytes)
    const id = bytesToHex(signed.id)
    if (this.byId.has(id)) return { outcome: 'known', id, removed: [] }
    const r = signed.record
    const author = bytesToHex(r.author)
    const why = refusalOf(r, this.policy, now)
    if (why) throw new BorgError(why[0], `record ${id.slice(0, 16)}…: ${why[1]}`)
    if (this.blockedAuthors.has(author) || this.blockedIds.has(id)) throw new BorgError('refused', `record ${id.slice(0, 16)}…: blocked by a moderator this node follows`)
    const deletion = this.deletedBy.get(id)
    if (deletion) throw new BorgError('refused', `record ${id.slice(0, 16)}… was deleted by its author (deletion ${deletion.slice(0, 16)}…)`)
    const removed: string[] = []
    const target = deletedId(r)
    let targetHex: string | undefined
    if (target) {
      targetHex = bytesToHex(target)
      const held = this.byId.get(targetHex)
      if (held) {
        if (!equalBytes(held.record.author, r.author)) throw new BorgError('refused', 'only a record’s author deletes it')
        if (held.record.created > r.created) throw new BorgError('refused', 'a deletion is created after the record it deletes')
        if (expiryOf(r, this.policy) < held.expiry) throw new BorgError('refused', 'a deletion lives at least as long as the record it deletes (else the record could come back)')
      }
    }
    // A deletion of a held record frees the place it takes (an author at its quota can still delete).
    const frees = targetHex !== undefined && this.byId.has(targetHex) ? 1 : 0
    if ((this.perAuthor.get(author) ?? 0) - frees >= this.policy.maxPerAuthor) throw new BorgError('refused', `the author has ${this.policy.maxPerAuthor} records in ${this.policy.name} already (its quota)`)
    if (this.byId.size - frees >= this.policy.maxRecords) throw new BorgError('refused', `${this.policy.name} holds ${this.policy.maxRecords} records (its bound)`)
    if (targetHex) {
      if (this.byId.has(targetHex)) {
        this.drop(targetHex)
        removed.push(targetHex)
      }
      this.deletedBy.set(targetHex, id)
    }
    this.byId.set(id, { ...signed, expiry: expiryOf(r, this.policy) })
    this.heldBytes += signed.bytes.length
    this.perAuthor.set(author, (this.perAuthor.get(author) ?? 0) + 1)
    this.items.add({ timestamp: r.created, id: signed.id })
    return { outcome: 'stored', id, removed }
  }

  get(id: string): HeldRecord | undefined {
    return this.byId.get(id)
  }

  has(id: string): boolean {
    return this.byId.has(id)
  }

  /** Records (not deletions), oldest first, optionally of one author (hex) and from a creation time on. */
  list(filter: { author?: string; since?: number; deletions?: boolean } = {}): HeldRecord[] {
    const out: HeldRecord[] = []
    for (const item of this.items.all()) {
      if (filter.since !== undefined && item.timestamp < filter.since) continue
      const held = this.byId.get(bytesToHex(item.id))!
      if (held.record.kind === 'deletion' && !filter.deletions) continue
      if (filter.author !== undefined && bytesToHex(held.record.author) !== filter.author) continue
      out.push(held)
    }
    return out
  }

  /** Remove what expired by `now` (seconds); the ids removed. */
  gc(now: number): string[] {
    const removed: string[] = []
    for (const [id, held] of this.byId) if (held.expiry <= now) removed.push(id)
    for (const id of removed) this.drop(id)
    return removed
  }

  /** A moderator this node follows blocks an author (hex): its records leave and stay out. The ids removed. */
  blockAuthor(author: string): string[] {
    this.blockedAuthors.add(author)
    const removed = [...this.byId].filter(([, h]) => bytesToHex(h.record.author) === author).map(([id]) => id)
    for (const id of removed) this.drop(id)
    return removed
  }

  blockId(id: string): boolean {
    this.blockedIds.add(id)
    if (!this.byId.has(id)) return false
    this.drop(id)
    return true
  }

  private drop(id: string): void {
    const held = this.byId.get(id)
    if (!held) return
    this.byId.delete(id)
    this.heldBytes -= held.bytes.length
    this.items.remove({ timestamp: held.record.created, id: held.id })
    const author = bytesToHex(held.record.author)
    const n = (this.perAuthor.get(author) ?? 1) - 1
    if (n <= 0) this.perAuthor.delete(author)
    else this.perAuthor.set(author, n)
    // An expired deletion no longer keeps its target out (the target is past retention by then too).
    const target = deletedId(held.record)
    if (target && this.deletedBy.get(bytesToHex(target)) === id) this.deletedBy.delete(bytesToHex(target))
  }
}
