/**
 * The crono cell's node-to-node messages (docs/time.md §1): JSON bodies inside
 * signed envelopes. All times are ms since the Unix epoch, JSON numbers that
 * may carry a fraction. One codec per kind in CRONO_CODECS; the hand-written
 * writers keep the reply's fields in the order docs/time.md shows byte for byte.
 */
import { BorgError } from '../../core/errors.js'
import { codecTable, encodeJson, parseJsonBody, type Body, type Codec } from '../../core/codec/codec.js'
import type { Outgoing, Target } from '../../core/wire/message.js'

export const CRONO_KIND = { sync: 'crono.sync', syncReply: 'crono.sync.reply' } as const

/** Deeper than any real tree; a longer chain means a loop or a lie. */
export const MAX_STRATUM = 64

/** `{"t0": <child's local clock when sending>}`; t0 is optional and only echoed back. */
export interface SyncRequest {
  t0?: number
}

/** The parent's answer; an unsynchronised parent has no time to give. */
export type SyncReply = { synced: false } | SyncedReply

export interface SyncedReply {
  synced: true
  /** The request's t0, echoed when it had one. */
  t0?: number
  /** Request received, parent's network clock. */
  t1: number
  /** Reply sent, parent's network clock. */
  t2: number
  /** Parent's error bound against network time at t2, ms. */
  bound: number
  /** Node id of the root whose clock is the network time the parent follows. */
  root: string
  /** That root's network time, whole ms, when it became root: (root, era) names one network time. */
  era: number
  /** Parent's hops from that root (the root: 0). */
  stratum: number
}

export function syncRequest(t0?: number, to?: Target): Outgoing {
  return encodeJson(CRONO_KIND.sync, t0 === undefined ? {} : { t0 }, to)
}

/** Fields in a fixed order, so the body bytes are as docs/time.md shows them. */
export function syncReply(reply: SyncReply, to?: Target): Outgoing {
  if (!reply.synced) return encodeJson(CRONO_KIND.syncReply, { synced: false }, to)
  const { t0, t1, t2, bound, root, era, stratum } = reply
  return encodeJson(CRONO_KIND.syncReply, t0 === undefined ? { synced: true, t1, t2, bound, root, era, stratum } : { synced: true, t0, t1, t2, bound, root, era, stratum }, to)
}

export function readSyncRequest(message: Body): SyncRequest {
  const body = object(message)
  if (body.t0 === undefined) return {}
  return { t0: time(message, body.t0, 't0') }
}

export function readSyncReply(message: Body): SyncReply {
  if (message.kind !== CRONO_KIND.syncReply) throw malformed(message, `expected ${CRONO_KIND.syncReply}`)
  const body = object(message)
  if (body.synced === false) return { synced: false }
  if (body.synced !== true) throw malformed(message, 'synced must be true or false')
  const t1 = time(message, body.t1, 't1')
  const t2 = time(message, body.t2, 't2')
  if (t2 < t1) throw malformed(message, 't2 is before t1')
  const bound = body.bound
  if (typeof bound !== 'number' || !(bound >= 0 && bound < Infinity)) throw malformed(message, 'bound must be a finite number >= 0')
  const root = body.root
  if (typeof root !== 'string' || !/^[0-9a-f]{2,256}$/.test(root)) throw malformed(message, 'root must be a node id in lowercase hex')
  const era = body.era
  if (typeof era !== 'number' || !Number.isSafeInteger(era) || era < 0) throw malformed(message, 'era must be a whole number of ms >= 0')
  const stratum = body.stratum
  if (typeof stratum !== 'number' || !Number.isInteger(stratum) || stratum < 0 || stratum > MAX_STRATUM) throw malformed(message, `stratum must be an integer 0..${MAX_STRATUM}`)
  const reply: SyncedReply = { synced: true, t1, t2, bound, root, era, stratum }
  if (body.t0 !== undefined) reply.t0 = time(message, body.t0, 't0')
  return reply
}

const sync: Codec<SyncRequest> = { kind: CRONO_KIND.sync, encode: ({ t0 }, to) => syncRequest(t0, to), decode: readSyncRequest }
const syncReplyCodec: Codec<SyncReply> = { kind: CRONO_KIND.syncReply, encode: syncReply, decode: readSyncReply }

export const CRONO_CODECS = codecTable({ sync, syncReply: syncReplyCodec })

function object(message: Body): Record<string, unknown> {
  const body = parseJsonBody(message)
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw malformed(message, 'body must be a JSON object')
  return body as Record<string, unknown>
}

function time(message: Body, value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw malformed(message, `${field} must be a finite number of ms >= 0`)
  return value
}

function malformed(message: Body, text: string): BorgError {
  return new BorgError('malformed', `${message.kind}: ${text}`)
}
