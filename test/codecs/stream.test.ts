/** Every DStream kind (docs/protocol.md §9.7) through the codec properties of harness.ts. */
import fc from 'fast-check'
import { STREAM_CODECS, packTerms, type StreamProgress, type TermsBody } from '../../src/core/stream/messages.js'
import { MAX_CHUNK_SIZE, MIN_CHUNK_SIZE } from '../../src/core/storage/chunking.js'
import { describeCodecs } from './harness.js'

const sha = fc.stringMatching(/^[0-9a-f]{64}$/)
const keyId = fc.stringMatching(/^ed[0-9a-f]{64}$/)
const offerId = fc.stringMatching(/^[0-9a-f]{16}$/)
const whole = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })
const ms = fc.double({ min: 0, max: 1e15, noNaN: true }).map((v) => v + 0) // + 0: no -0, which JSON writes as 0
/** HOST:PORT as the codecs normalise it. */
const endpoint = fc.tuple(fc.constantFrom('127.0.0.1', 'node-a.example', '[::1]', '[fe80::1]'), fc.integer({ min: 1, max: 65535 })).map(([host, port]) => `${host}:${port}`)

/** Terms whose chunk list is as long as size and chunkSize make it. */
const terms: fc.Arbitrary<TermsBody> = fc.record({ chunkSize: fc.integer({ min: MIN_CHUNK_SIZE, max: MAX_CHUNK_SIZE }), count: fc.integer({ min: 0, max: 4 }) }).chain(({ chunkSize, count }) =>
  fc.record(
    {
      streamId: sha,
      size: count === 0 ? fc.constant(0) : fc.integer({ min: (count - 1) * chunkSize + 1, max: count * chunkSize }),
      chunkSize: fc.constant(chunkSize),
      chunks: fc.array(sha, { minLength: count, maxLength: count }),
      name: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,30}$/),
    },
    { requiredKeys: ['streamId', 'size', 'chunkSize', 'chunks'] },
  ),
)

const progress: fc.Arbitrary<StreamProgress> = fc.record(
  {
    streamId: sha,
    status: fc.constantFrom('pending' as const, 'pulling' as const, 'failed' as const, 'done' as const),
    received: whole,
    total: whole,
    done: fc.boolean(),
    path: fc.string({ minLength: 1, maxLength: 80 }),
    error: fc.string({ maxLength: 80 }),
    offerId,
    expiresAt: ms,
  },
  { requiredKeys: ['streamId', 'status', 'received', 'total', 'done'] },
)

const pendingView = fc.record(
  { id: offerId, sender: keyId, streamId: sha, size: whole, name: fc.string({ minLength: 1, maxLength: 40 }), endpoint, arrivedAt: ms, expiresAt: ms },
  { requiredKeys: ['id', 'sender', 'streamId', 'size', 'endpoint', 'arrivedAt', 'expiresAt'] },
)
const key = fc.string({ minLength: 1, maxLength: 100 })

describeCodecs('stream', STREAM_CODECS, {
  offer: fc.tuple(terms, endpoint).map(([body, at]) => ({ ...packTerms(body), endpoint: at })),
  offerReply: progress,
  pull: fc.record({ streamId: sha, index: whole }),
  pullReply: fc.uint8Array({ maxLength: 64 }),
  status: fc.record({ streamId: sha }),
  statusReply: progress,
  send: fc.tuple(terms, fc.stringMatching(/^\/[a-z0-9/._-]{0,40}$/), endpoint).map(([body, path, to]) => ({ ...body, path, to })),
  sendReply: fc.tuple(progress, keyId).map(([p, receiver]) => ({ ...p, receiver })),
  allow: fc.record({ key }),
  allowReply: fc.record({ key, added: fc.boolean() }),
  deny: fc.record({ key }),
  denyReply: fc.record({ key, removed: fc.boolean(), pendingDropped: whole }),
  pending: fc.constant({}),
  pendingReply: fc.record({ pending: fc.array(pendingView, { maxLength: 4 }), allowed: fc.array(keyId, { maxLength: 4 }) }),
  accept: fc.record({ id: offerId }),
  acceptReply: progress,
})
