/** Every node runtime kind (docs/protocol.md §5, §7) through the codec properties of harness.ts. */
import fc from 'fast-check'
import { NODE_CODECS } from '../../src/core/node/messages.js'
import { describeCodecs } from './harness.js'

const keyId = fc.oneof(fc.stringMatching(/^ed[0-9a-f]{64}$/), fc.stringMatching(/^010[23][0-9a-f]{64}$/))
const cell = fc.stringMatching(/^[a-z]{1,10}$/)
const endpoint = fc.string({ minLength: 1, maxLength: 60 })
const finite = fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => v + 0) // + 0: no -0, which JSON writes as 0
const note = fc.string({ minLength: 1, maxLength: 200 })

describeCodecs('node', NODE_CODECS, {
  ping: fc.record({ seq: fc.integer() }, { requiredKeys: [] }),
  pong: fc.record({ from: keyId, time: finite, version: fc.string({ minLength: 1, maxLength: 64 }), seen: fc.string({ minLength: 1, maxLength: 64 }) }, { requiredKeys: ['from', 'time', 'version'] }),
  directory: fc.constant({}),
  directoryReply: fc.record({ nodeId: keyId, cells: fc.dictionary(cell, fc.record({ net: endpoint, recp: endpoint, mon: endpoint }), { maxKeys: 4, noNullPrototype: true }) }),
  leave: fc.constant({}),
  leaveReply: fc.constant({ leaving: true as const }),
  broadcast: fc.record({ cell, text: note }, { requiredKeys: ['text'] }),
  broadcastReply: fc.record({ bid: fc.string({ minLength: 1, maxLength: 128 }), at: finite, cell, treeSize: fc.nat() }, { requiredKeys: ['bid', 'at', 'cell'] }),
  send: fc
    .record({ cell, text: note, position: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), node: keyId }, { requiredKeys: ['text'] })
    .filter((v) => v.position !== undefined || v.node !== undefined),
  sendReply: fc.record({ queued: fc.nat() }),
  note: fc.record({ text: fc.string({ maxLength: 200 }) }),
  dialback: fc.record({ port: fc.integer({ min: 1, max: 65_535 }), nonce: fc.stringMatching(/^[0-9a-f]{32}$/) }),
  dialbackReply: fc.record({ reached: fc.boolean(), address: fc.string({ minLength: 1, maxLength: 64 }), error: fc.string({ minLength: 1, maxLength: 64 }) }, { requiredKeys: ['reached', 'address'] }),
  dialbackNonce: fc.record({ nonce: fc.stringMatching(/^[0-9a-f]{32}$/) }),
})
