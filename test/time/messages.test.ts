import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { utf8 } from '../../src/core/bytes.js'
import { BodyType, NO_TARGET, type Incoming, type Outgoing } from '../../src/core/wire/message.js'
import { CRONO_KIND, readSyncReply, readSyncRequest, syncReply, syncRequest } from '../../src/cells/crono/messages.js'
import { delayOf, exchangeBound, offsetOf } from '../../src/core/time/ntp.js'

const doc = readFileSync(new URL('../../docs/time.md', import.meta.url), 'utf8')
const ROOT = `ed${'11'.repeat(32)}`

function documented(marker: string): string {
  const match = new RegExp(`<!-- ${marker} -->\\s*\`\`\`json\\n(.*)\\n\`\`\``).exec(doc)
  if (!match) throw new Error(`docs/time.md lost its ${marker} block`)
  return match[1]!
}

/** What a receiver would see of an outgoing message. */
function incoming(message: Outgoing): Incoming {
  return { kind: message.kind, from: new Uint8Array(33), fromHex: ROOT, to: NO_TARGET, id: new Uint8Array(16), timestamp: 0, body: message.body!, bodyType: message.bodyType!, expectsReply: false }
}

const body = (text: string, kind: string = CRONO_KIND.syncReply): Incoming => incoming({ kind, body: utf8.encode(text), bodyType: BodyType.json })

describe('crono messages', () => {
  const reply = { synced: true as const, t0: 1700000000000.25, t1: 1700000000512.5, t2: 1700000000512.625, bound: 0, root: ROOT, era: 1699999000000, stratum: 0 }

  it('are byte for byte what docs/time.md shows', () => {
    expect(utf8.decode(syncRequest(1700000000000.25).body!)).toBe(documented('crono-request'))
    expect(utf8.decode(syncReply(reply).body!)).toBe(documented('crono-reply-synced'))
    expect(utf8.decode(syncReply({ synced: false }).body!)).toBe(documented('crono-reply-unsynced'))
    expect(utf8.decode(syncRequest().body!)).toBe('{}')
    expect(syncRequest().kind).toBe('crono.sync')
    expect(syncReply(reply).kind).toBe('crono.sync.reply')
  })

  it('match the worked example of docs/time.md §2', () => {
    const e = { t0: reply.t0, t1: reply.t1, t2: reply.t2, t3: 1700000000041.25 }
    expect(offsetOf(e)).toBe(491.8125)
    expect(delayOf(e)).toBe(40.875)
    const bound = exchangeBound(e, { parentBoundMs: 0, driftPpm: 200, resolutionMs: 1 })
    expect(doc).toContain(`**${bound.toFixed(4)} ms**`)
    expect(doc).toContain(`**${offsetOf(e)} ms**`)
  })

  it('read back what they wrote, and ignore unknown fields', () => {
    expect(readSyncReply(incoming(syncReply(reply)))).toEqual(reply)
    expect(readSyncReply(incoming(syncReply({ synced: false })))).toEqual({ synced: false })
    expect(readSyncRequest(incoming(syncRequest(5)))).toEqual({ t0: 5 })
    expect(readSyncRequest(incoming(syncRequest()))).toEqual({})
    expect(readSyncReply(body('{"synced":false,"later":1}'))).toEqual({ synced: false })
    expect(readSyncReply(body(`{"synced":true,"t1":1,"t2":2,"bound":0,"root":"${ROOT}","era":7,"stratum":3,"later":9}`))).toEqual({ synced: true, t1: 1, t2: 2, bound: 0, root: ROOT, era: 7, stratum: 3 })
  })

  it('refuse malformed bodies', () => {
    const good = { synced: true, t1: 1, t2: 2, bound: 0, root: ROOT, era: 0, stratum: 1 }
    const bad = [
      '[]',
      '{}',
      '{"synced":"yes"}',
      JSON.stringify({ ...good, t1: 3 }), // t2 before t1
      JSON.stringify({ ...good, t1: -1 }),
      JSON.stringify({ ...good, t2: '2' }),
      JSON.stringify({ ...good, bound: -1 }),
      JSON.stringify({ ...good, bound: null }),
      JSON.stringify({ ...good, root: 'ED11' }),
      JSON.stringify({ ...good, era: 1.5 }),
      JSON.stringify({ ...good, era: undefined }),
      JSON.stringify({ ...good, stratum: 1.5 }),
      JSON.stringify({ ...good, stratum: 65 }),
      JSON.stringify({ ...good, t0: 'x' }),
      'not json',
    ]
    for (const text of bad) expect(() => readSyncReply(body(text)), text).toThrow(expect.objectContaining({ code: 'malformed' }))
    expect(() => readSyncReply(body(JSON.stringify(good), 'crono.other'))).toThrow(expect.objectContaining({ code: 'malformed' }))
    expect(() => readSyncRequest(body('{"t0":"soon"}', CRONO_KIND.sync))).toThrow(expect.objectContaining({ code: 'malformed' }))
  })
})
