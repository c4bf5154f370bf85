/**
 * The hand-built encoders (hot message bodies) must write exactly what
 * JSON.stringify writes for the same value, escapes included; and every
 * decoder stays strict about the fields that changed on the wire.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { BorgError } from '../../src/core/errors.js'
import { BodyType, NO_TARGET, type Incoming, type Outgoing } from '../../src/core/wire/message.js'
import { codecsFor, TREE_CODECS } from '../../src/core/tree/codec.js'
import { message, reuse } from '../../src/core/tree/body-pool.js'
import { contactsMessage, heartbeatReplyMessage } from '../../src/core/tree/fast-json.js'
import { KIND, type HeartbeatReply } from '../../src/core/tree/messages.js'
import { MemberTable } from '../../src/core/tree/members.js'

const text = (m: Outgoing) => Buffer.from(m.body!).toString('utf8')
const incoming = (m: Outgoing): Incoming => ({ kind: m.kind, from: new Uint8Array(0), fromHex: '', to: NO_TARGET, id: new Uint8Array(16), timestamp: 0, body: m.body!, bodyType: m.bodyType ?? BodyType.json, expectsReply: false })
const raw = (kind: string, json: string): Incoming => incoming({ kind, body: Buffer.from(json), bodyType: BodyType.json })

// Any string, including quotes, backslashes, control characters and lone surrogates.
const anyText = fc.string({ unit: 'binary', minLength: 1, maxLength: 40 })
const member = fc.record({ id: anyText, endpoint: anyText })
const epoch = fc.record({ term: fc.nat(), seq: fc.nat() })
const placed = fc.record({ id: anyText, endpoint: anyText, position: fc.integer({ min: 1, max: 1e9 }) })
const info = fc.record({ treeId: anyText, epoch, size: fc.integer({ min: 1 }), root: member, deputies: fc.array(placed, { maxLength: 3 }), last: placed })

describe('tree codec', () => {
  it('hand-built heartbeat answers are JSON.stringify exactly', () => {
    fc.assert(
      fc.property(fc.boolean(), epoch, fc.option(info, { nil: undefined }), fc.array(member, { maxLength: 4 }), (childOk, e, i, contacts) => {
        const reply: HeartbeatReply = { childOk, epoch: e, info: i, contacts }
        expect(text(heartbeatReplyMessage(reply))).toBe(JSON.stringify(reply))
        expect(heartbeatReplyMessage(reply).kind).toBe(KIND.hbReply)
      }),
    )
  })

  it('hand-built contact lists are JSON.stringify exactly', () => {
    fc.assert(
      fc.property(fc.array(member, { maxLength: 16 }), (contacts) => {
        expect(text(contactsMessage(KIND.shuffle, contacts))).toBe(JSON.stringify({ contacts }))
      }),
    )
  })

  it('decodes what it encodes, with and without a member table', () => {
    const table = new MemberTable()
    const contacts = [
      { id: 'ed' + 'a'.repeat(64), endpoint: 'n1' },
      { id: 'ed' + 'b'.repeat(64), endpoint: 'n2' },
    ]
    const reply: HeartbeatReply = { childOk: true, epoch: { term: 2, seq: 9 }, contacts }
    for (const c of [TREE_CODECS, codecsFor(table)]) {
      expect(c.hbReply.decode(incoming(heartbeatReplyMessage(reply)))).toEqual(reply)
    }
    // Shared members: one object per (id, endpoint) whoever decodes it.
    const a = codecsFor(table).shuffle.decode(incoming(contactsMessage(KIND.shuffle, contacts))).contacts
    const b = codecsFor(table).shuffle.decode(incoming(contactsMessage(KIND.shuffleReply, contacts))).contacts
    expect(a[0]).toBe(b[0])
    expect(table.id(String(contacts[1]!.id))).toBe(a[1]!.id)
  })

  it('heartbeats: known is optional, and strict when present', () => {
    const base = { treeId: 't'.repeat(32), epoch: { term: 1, seq: 2 }, position: 5 }
    expect(TREE_CODECS.hb.decode(incoming(message(KIND.hb, base)))).toEqual({ ...base, known: undefined })
    const full = { ...base, known: { term: 1, seq: 7 } }
    expect(TREE_CODECS.hb.decode(incoming(message(KIND.hb, full)))).toEqual(full)
    expect(() => TREE_CODECS.hb.decode(incoming(message(KIND.hb, { ...base, known: { term: -1, seq: 0 } })))).toThrow(BorgError)
  })

  it('broadcasts carry hops (>= 1 on the wire), the origin time and a base64 signature', () => {
    const b = { treeId: 't', bid: 'b', origin: 'o', kind: 'k', body: '', bodyType: BodyType.binary, hops: 3, at: 1, sig: 'AAAA' }
    expect(TREE_CODECS.bcast.decode(incoming(message(KIND.bcast, b)))).toEqual(b)
    expect(() => TREE_CODECS.bcast.decode(incoming(message(KIND.bcast, { ...b, sig: undefined })))).toThrow(BorgError)
    expect(() => TREE_CODECS.bcast.decode(incoming(message(KIND.bcast, { ...b, sig: 'not base64!' })))).toThrow(BorgError)
    expect(() => TREE_CODECS.bcast.decode(incoming(message(KIND.bcast, { ...b, at: undefined })))).toThrow(BorgError)
    expect(() => TREE_CODECS.bcast.decode(incoming(message(KIND.bcast, { ...b, bid: 'a\u0000b' })))).toThrow(BorgError)
    expect(TREE_CODECS.bcast.decode(incoming(message(KIND.bcast, b))).hops).toBe(3)
    expect(() => TREE_CODECS.bcast.decode(incoming(message(KIND.bcast, { ...b, hops: 0 })))).toThrow(BorgError)
    expect(() => TREE_CODECS.bcast.decode(incoming(message(KIND.bcast, { ...b, hops: undefined })))).toThrow(BorgError)
    expect(() => TREE_CODECS.bcast.decode(incoming(message(KIND.bcast, { ...b, hops: 1.5 })))).toThrow(BorgError)
  })

  it('a reused body decodes once and the result is shared', () => {
    const m = reuse(message(KIND.join, { member: { id: 'ed' + 'c'.repeat(64), endpoint: 'n3' } }))
    const c = codecsFor(new MemberTable())
    const first = c.join.decode(incoming(m))
    expect(c.join.decode(incoming(m))).toBe(first)
    // An ordinary body with the same text is parsed on its own.
    expect(c.join.decode(incoming(message(KIND.join, { member: first.member })))).not.toBe(first)
    expect(() => c.join.decode(raw(KIND.join, '{"member":{"id":""}}'))).toThrow(BorgError)
  })
})
