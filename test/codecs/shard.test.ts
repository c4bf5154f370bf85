/** Every shard kind (docs/protocol.md §9.5) through the codec properties of harness.ts. */
import fc from 'fast-check'
import { MAX_BATCH_CHUNKS, PUT_OUTCOMES, SHARD_CODECS } from '../../src/cells/shard/messages.js'
import { bytesToHex } from '../../src/core/bytes.js'
import { sha256 } from '../../src/core/crypto/hash.js'
import { MAX_CHUNK_SIZE } from '../../src/core/storage/chunking.js'
import { whole, member, membersReply, membersRequest } from './arbitraries.js'
import { describeCodecs } from './harness.js'

const hash = fc.stringMatching(/^[0-9a-f]{64}$/)
const bytes = fc.uint8Array({ maxLength: 64 })
/** Parts named by their real hashes (a codec names what it is given; the transport checks the names). */
const namedParts = fc.array(bytes.map((b) => ({ hash: bytesToHex(sha256(b)), bytes: b })), { maxLength: 6 })
const failure = fc.record({ hash, error: fc.string({ maxLength: 80 }) })

describeCodecs('shard', SHARD_CODECS, {
  members: membersRequest,
  membersReply,
  chunkPut: bytes,
  chunkPutReply: fc.record({ hash, stored: fc.boolean(), freeBytes: whole() }),
  chunkGet: fc.record({ hash }),
  chunkGetReply: bytes,
  chunksPut: fc.record({ head: fc.constant({}), parts: namedParts }),
  chunksPutReply: fc.record({ results: fc.array(fc.constantFrom(...PUT_OUTCOMES), { maxLength: MAX_BATCH_CHUNKS }), freeBytes: whole() }),
  chunksGet: fc.record({ hashes: fc.array(hash, { minLength: 1, maxLength: MAX_BATCH_CHUNKS }) }),
  chunksGetReply: fc.record({ head: fc.record({ absent: fc.array(fc.integer({ min: 0, max: MAX_BATCH_CHUNKS - 1 }), { maxLength: 8 }) }), parts: namedParts }),
  chunkHas: fc.record({ hashes: fc.array(hash, { maxLength: 8 }), touch: fc.array(fc.integer({ min: 0, max: 1023 }), { maxLength: 8 }) }, { requiredKeys: ['hashes'] }),
  chunkHasReply: fc.record({ have: fc.array(fc.boolean(), { maxLength: 16 }) }),
  chunkFetch: fc.record({
    chunks: fc.array(fc.record({ hash, length: fc.integer({ min: 1, max: MAX_CHUNK_SIZE + 16 }), from: fc.array(member, { minLength: 1, maxLength: 4 }) }), { minLength: 1, maxLength: 4 }),
  }),
  chunkFetchReply: fc.record({ stored: fc.array(hash, { maxLength: 4 }), failed: fc.array(failure, { maxLength: 4 }), freeBytes: whole() }),
  chunkCorrupt: fc.record({ hash }),
  chunkCorruptReply: fc.record({ hash, held: fc.boolean(), dropped: fc.boolean() }),
  pin: bytes,
  pinReply: fc.record({ id: hash, chunks: whole(), had: whole(), fetched: whole(), missing: whole(), failed: fc.array(failure, { maxLength: 5 }) }),
  unpin: fc.record({ id: hash }),
  unpinReply: fc.record({ id: hash, unpinned: fc.boolean() }),
})
