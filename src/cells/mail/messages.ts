/**
 * The mail cell's messages (docs/protocol.md §13) and their codecs. A wrap
 * travels as its Nostr event JSON (checked by src/core/mail/gift-wrap.ts);
 * requests about one recipient's mailbox are signed by that recipient's
 * identity key; mailbox-to-mailbox reconciliation uses Negentropy frames.
 */
import { base64, bool, int, list, literal, optional, refusedAs, sha256Hex, text, json } from '../../core/codec/checks.js'
import { codecTable, emptyCodec, shapeCodec } from '../../core/codec/codec.js'
import { membersCodecs } from '../../core/tree/member-list.js'

export const MAIL_KIND = {
  members: 'mail.members',
  deliver: 'mail.deliver',
  list: 'mail.list',
  fetch: 'mail.fetch',
  delete: 'mail.delete',
  policy: 'mail.policy',
  reconcile: 'mail.reconcile',
  copy: 'mail.copy',
} as const

/** A `mail.deliver` body at most: one wrap and its field name (checked before the body is parsed). */
export const MAX_DELIVER_BYTES = 96 * 1024 + 64

/** Ids per fetch, delete or copy at most; wraps per list page. */
export const MAX_IDS = 100
/** A Negentropy frame (base64) at most: 60 KB of frame. */
const MAX_FRAME_BASE64 = 81_000

const xOnlyKey = refusedAs('invalid-input', text({ min: 64, max: 64, pattern: /^[0-9a-f]{64}$/, describe: 'an x-only public key (64 hex digits)' }))
const ids = refusedAs('invalid-input', list(sha256Hex, MAX_IDS, 1))
const members = membersCodecs(MAIL_KIND.members)

/** Every kind the mail cell answers, requests and replies. */
export const MAIL_CODECS = codecTable({
  members: members.request,
  membersReply: members.reply,
  /** `wrap`: the gift-wrap event; `pow`: none (the wrap id's leading zero bits are counted). */
  deliver: shapeCodec(MAIL_KIND.deliver, { wrap: json }),
  deliverReply: shapeCodec(`${MAIL_KIND.deliver}.reply`, { id: sha256Hex, outcome: literal('stored', 'known') }),
  /** The sender's own mailbox (its identity key signs): wraps newest first after `before` (a wrap id). */
  list: shapeCodec(MAIL_KIND.list, { limit: optional(int(1, MAX_IDS)), before: optional(sha256Hex) }),
  listReply: shapeCodec(`${MAIL_KIND.list}.reply`, {
    wraps: list(json, MAX_IDS),
    more: bool,
    /** Wraps the recipient deleted here (kept as tombstones): the client deletes them where they linger. */
    deleted: list(sha256Hex, 10_000),
  }),
  fetch: shapeCodec(MAIL_KIND.fetch, { ids }),
  fetchReply: shapeCodec(`${MAIL_KIND.fetch}.reply`, { wraps: list(json, MAX_IDS) }),
  delete: shapeCodec(MAIL_KIND.delete, { ids }),
  deleteReply: shapeCodec(`${MAIL_KIND.delete}.reply`, { deleted: int() }),
  policy: emptyCodec(MAIL_KIND.policy),
  policyReply: shapeCodec(`${MAIL_KIND.policy}.reply`, {
    /** Leading zero bits a wrap id needs here (NIP-13 proof of work; 0: none). */
    powBits: int(0, 32),
    maxWrapBytes: int(),
    retentionDays: int(),
    perRecipientWraps: int(),
    perSenderPerMinute: int(),
    perSourcePerMinute: int(),
  }),
  /** Mailbox to mailbox: one Negentropy message over one recipient's wraps. */
  reconcile: shapeCodec(MAIL_KIND.reconcile, { recipient: xOnlyKey, frame: base64(MAX_FRAME_BASE64) }),
  reconcileReply: shapeCodec(`${MAIL_KIND.reconcile}.reply`, { frame: base64(MAX_FRAME_BASE64) }),
  /** Mailbox to mailbox: the wraps with these ids (of one recipient). */
  copy: shapeCodec(MAIL_KIND.copy, { recipient: xOnlyKey, ids }),
  copyReply: shapeCodec(`${MAIL_KIND.copy}.reply`, { wraps: list(json, MAX_IDS) }),
})

export { xOnlyKey }
