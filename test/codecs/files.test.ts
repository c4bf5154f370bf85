/** Every file-manager kind (docs/protocol.md §9.5) through the codec properties of harness.ts. */
import fc from 'fast-check'
import { FILES_CODECS } from '../../src/cells/files/messages.js'
import { whole, membersReply, membersRequest } from './arbitraries.js'
import { describeCodecs } from './harness.js'

const fileId = fc.stringMatching(/^[0-9a-f]{64}$/)
const keyId = fc.oneof(fc.stringMatching(/^ed[0-9a-f]{64}$/), fc.stringMatching(/^010[23][0-9a-f]{64}$/))
const bytes = fc.uint8Array({ maxLength: 64 })

describeCodecs('files', FILES_CODECS, {
  members: membersRequest,
  membersReply,
  put: bytes,
  putReply: fc.record({ id: fileId, stored: fc.boolean() }),
  get: fc.record({ id: fileId }),
  getReply: bytes,
  has: fc.record({ ids: fc.array(fileId, { maxLength: 8 }) }),
  hasReply: fc.record({ have: fc.array(fc.boolean(), { maxLength: 8 }), removals: fc.dictionary(fileId, fc.base64String({ maxLength: 200 }), { maxKeys: 4 }) }),
  list: fc.record({ owner: keyId }),
  listReply: fc.record({ ids: fc.array(fileId, { maxLength: 8 }) }),
  rm: bytes,
  rmReply: fc.record({ id: fileId, removed: fc.boolean() }),
  audit: fc.record({ id: fileId }),
  auditReply: fc.record(
    { id: fileId, chunks: whole(), fewest: whole(), repaired: whole(), expired: fc.boolean(), removed: fc.boolean(), manifestCopies: whole() },
    { requiredKeys: ['id', 'chunks', 'fewest', 'repaired', 'expired'] },
  ),
})
