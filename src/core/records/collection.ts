/**
 * What a collection admits (docs/records.md): every rule a record must pass
 * before a node stores it, and so before it can be forwarded. The same rules
 * on every node that holds the collection, retention included, keep the sets
 * convergent: a record one node dropped by the rule no other node takes back.
 */
import { bytesToHex } from '../bytes.js'
import type { ErrorCode } from '../errors.js'
import { MAX_CONTENT_BYTES, type UnsignedRecord } from './record.js'

/** How far ahead of this node's clock a record's creation time may be (the NIP-22 window). */
export const FUTURE_SLACK_SECONDS = 900

export type Moderation =
  /** A valid signature is enough ("let it fly"). */
  | { mode: 'open' }
  /** Only these authors (key id hex). */
  | { mode: 'allow'; authors: ReadonlySet<string> }

export interface CollectionPolicy {
  name: string
  /** Records older than this (by creation time) leave the set, and are refused on arrival. */
  retentionSeconds: number
  /** Most content bytes per record (at most MAX_CONTENT_BYTES). */
  maxContentBytes: number
  /** Most records one author may have in the set at once. */
  maxPerAuthor: number
  /** Most records in the set (all authors). */
  maxRecords: number
  moderation: Moderation
  /** Content rules (a schema, a filter): the reason to refuse, or undefined. */
  check?: (record: UnsignedRecord) => string | undefined
}

export const DEFAULT_POLICY: Omit<CollectionPolicy, 'name'> = {
  retentionSeconds: 90 * 24 * 3600,
  maxContentBytes: MAX_CONTENT_BYTES,
  maxPerAuthor: 1000,
  maxRecords: 100_000,
  moderation: { mode: 'open' },
}

export function policy(name: string, overrides: Partial<Omit<CollectionPolicy, 'name'>> = {}): CollectionPolicy {
  const p = { ...DEFAULT_POLICY, ...overrides, name }
  if (p.maxContentBytes > MAX_CONTENT_BYTES) throw new RangeError(`a collection allows at most ${MAX_CONTENT_BYTES} content bytes`)
  return p
}

/** When a record leaves the set: its own expiry, or its creation plus the retention, whichever is first. */
export function expiryOf(record: Pick<UnsignedRecord, 'created' | 'expires'>, p: CollectionPolicy): number {
  const byRetention = record.created + p.retentionSeconds
  return record.expires === 0 ? byRetention : Math.min(record.expires, byRetention)
}

/** Why `record` may not be stored at time `now` (seconds) under `p` (an error code and the reason), or undefined. Quotas are the set's. */
export function refusalOf(record: UnsignedRecord, p: CollectionPolicy, now: number): [ErrorCode, string] | undefined {
  if (record.collection !== p.name) return ['refused', `a record of collection ${record.collection}, not ${p.name}`]
  if (record.created > now + FUTURE_SLACK_SECONDS) return ['from-future', `created ${record.created - now} s in the future (at most ${FUTURE_SLACK_SECONDS} s)`]
  if (expiryOf(record, p) <= now) return ['expired', record.expires !== 0 && record.expires <= now ? 'expired' : `older than the collection's retention (${p.retentionSeconds} s)`]
  if (record.content.length > p.maxContentBytes) return ['too-large', `content of ${record.content.length} bytes; this collection allows ${p.maxContentBytes}`]
  if (p.moderation.mode === 'allow' && !p.moderation.authors.has(bytesToHex(record.author))) return ['refused', 'the author is not on this collection’s allow-list']
  const why = record.kind === 'record' ? p.check?.(record) : undefined
  return why === undefined ? undefined : ['refused', why]
}
