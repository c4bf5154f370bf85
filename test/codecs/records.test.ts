/** The record sync kinds (docs/protocol.md §12.3) through the codec properties of harness.ts. */
import fc from 'fast-check'
import { RECORDS_CODECS } from '../../src/core/records/messages.js'
import { describeCodecs } from './harness.js'
import { whole } from './arbitraries.js'

const collection = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/)
const hexOf = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max }).map((b) => Buffer.from(b).toString('hex'))
const id = hexOf(32, 32)
const nodeId = fc.constantFrom('ed' + 'ab'.repeat(32), '0102' + 'cd'.repeat(32))
const refusal = fc.record({ outcome: fc.constant('refused' as const), code: fc.constantFrom('refused', 'expired', 'bad-signature'), error: fc.string({ minLength: 1, maxLength: 60 }) })
const report = fc.record({ collection, peer: fc.string({ minLength: 1, maxLength: 40 }), roundTrips: whole(), reconcileBytes: whole(), fetched: whole(), pushed: whole(), refused: whole() })

describeCodecs('records', RECORDS_CODECS, {
  reconcile: fc.record({ collection, message: hexOf(1, 200) }),
  reconcileReply: fc.record({ message: hexOf(1, 200) }),
  fetch: fc.record({ collection, ids: fc.array(id, { minLength: 1, maxLength: 5 }) }),
  fetchReply: fc.record({ records: fc.array(hexOf(1, 100), { maxLength: 3 }) }),
  push: fc.record({ collection, records: fc.array(hexOf(1, 100), { minLength: 1, maxLength: 3 }) }),
  pushReply: fc.record({ results: fc.array(fc.oneof(fc.record({ outcome: fc.constantFrom('stored' as const, 'known' as const), id }), refusal), { maxLength: 3 }) }),
  list: fc.record({ collection, author: nodeId, since: whole(), after: id, limit: fc.integer({ min: 1, max: 500 }), deletions: fc.boolean() }, { requiredKeys: ['collection'] }),
  listReply: fc.record({ records: fc.array(hexOf(1, 100), { maxLength: 3 }), more: fc.boolean() }),
  collections: fc.constant({}),
  collectionsReply: fc.record({ collections: fc.array(fc.record({ name: collection, records: whole(), retentionSeconds: whole() }), { maxLength: 3 }) }),
  sync: fc.record({ peer: fc.string({ minLength: 1, maxLength: 40 }), collection }, { requiredKeys: ['peer'] }),
  syncReply: fc.record({ reports: fc.array(report, { maxLength: 2 }), errors: fc.array(fc.record({ collection, code: fc.constantFrom('not-found', 'timeout'), error: fc.string({ minLength: 1, maxLength: 40 }) }), { maxLength: 2 }) }),
})
