/** The mail cell's kinds (docs/protocol.md §13) through the codec properties of harness.ts. */
import fc from 'fast-check'
import { MAIL_CODECS } from '../../src/cells/mail/messages.js'
import { describeCodecs } from './harness.js'
import { whole, membersReply, membersRequest } from './arbitraries.js'

const hexOf = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b).toString('hex'))
const id = hexOf(32)
const ids = fc.array(id, { minLength: 1, maxLength: 5 })
const wrap = fc.record({ id, pubkey: id, created_at: whole(), kind: fc.constant(1059), tags: fc.constant([['p', 'ab'.repeat(32)]]), content: fc.base64String({ maxLength: 200 }), sig: hexOf(64) })
const frame = fc.base64String({ maxLength: 400 })

describeCodecs('mail', MAIL_CODECS, {
  members: membersRequest,
  membersReply,
  deliver: fc.record({ wrap }),
  deliverReply: fc.record({ id, outcome: fc.constantFrom('stored' as const, 'known' as const) }),
  list: fc.record({ limit: fc.integer({ min: 1, max: 100 }), before: id }, { requiredKeys: [] }),
  listReply: fc.record({ wraps: fc.array(wrap, { maxLength: 3 }), more: fc.boolean(), deleted: fc.array(id, { maxLength: 3 }) }),
  fetch: fc.record({ ids }),
  fetchReply: fc.record({ wraps: fc.array(wrap, { maxLength: 3 }) }),
  delete: fc.record({ ids }),
  deleteReply: fc.record({ deleted: whole() }),
  policy: fc.constant({}),
  policyReply: fc.record({ powBits: fc.integer({ min: 0, max: 32 }), maxWrapBytes: whole(), retentionDays: whole(), perRecipientWraps: whole(), perSenderPerMinute: whole(), perSourcePerMinute: whole() }),
  reconcile: fc.record({ recipient: id, frame }),
  reconcileReply: fc.record({ frame }),
  copy: fc.record({ recipient: id, ids }),
  copyReply: fc.record({ wraps: fc.array(wrap, { maxLength: 3 }) }),
})
