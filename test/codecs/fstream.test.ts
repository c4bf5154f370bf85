/** The fstream kinds (docs/protocol.md §9.8) through the codec properties of harness.ts. */
import fc from 'fast-check'
import { FSTREAM_CODECS } from '../../src/cells/fstream/messages.js'
import { whole, membersReply, membersRequest } from './arbitraries.js'
import { describeCodecs } from './harness.js'

const url = fc.tuple(fc.constantFrom('127.0.0.1', 'cell-b.example', '[::1]'), fc.integer({ min: 1, max: 65535 })).map(([host, port]) => `https://${host}:${port}`)

describeCodecs('fstream', FSTREAM_CODECS, {
  members: membersRequest,
  membersReply,
  load: fc.constant({}),
  loadReply: fc.record({ clients: whole(), capacity: whole(), url }),
})
