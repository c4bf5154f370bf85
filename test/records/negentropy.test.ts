/**
 * Negentropy v1 (src/core/records/negentropy.ts): two sides end up knowing
 * exactly their differences, in few round trips, under a frame limit; the
 * decoder refuses what the spec does not allow. Interop with the spec's
 * other implementations: test/records/negentropy-interop.test.ts.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { encodeVarint, Negentropy, NegentropyError, SortedItems, type Item } from '../../src/core/records/negentropy.js'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const idOf = (n: number) => new Uint8Array(createHash('sha256').update(`item ${n}`).digest())
const itemOf = (n: number, timestamp = 1_700_000_000 + (n % 1000)): Item => ({ timestamp, id: idOf(n) })

/** Run a whole reconciliation; the client's view of the differences, and the traffic. */
export function reconcile(client: SortedItems, server: SortedItems, frameLimit = 60_000) {
  const a = new Negentropy(client, frameLimit)
  const b = new Negentropy(server, frameLimit)
  const have: string[] = []
  const need: string[] = []
  let message: Uint8Array | undefined = a.initiate()
  let roundTrips = 0
  let bytes = 0
  while (message) {
    expect(message.length).toBeLessThanOrEqual(frameLimit === 0 ? Infinity : frameLimit)
    bytes += message.length
    const reply = b.reconcile(message).message!
    expect(reply.length).toBeLessThanOrEqual(frameLimit === 0 ? Infinity : frameLimit)
    bytes += reply.length
    roundTrips++
    const r = a.reconcile(reply)
    have.push(...r.have.map(hex))
    need.push(...r.need.map(hex))
    message = r.message
  }
  return { have: have.sort(), need: need.sort(), roundTrips, bytes }
}

describe('negentropy reconciliation', () => {
  it('finds exactly the differences of random sets (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 2 })), { maxLength: 800 }), fc.constantFrom(0, 4096, 60_000), (entries, frameLimit) => {
        const clientItems: Item[] = []
        const serverItems: Item[] = []
        // 0: both sides, 1: client only, 2: server only; few distinct timestamps so ids break ties.
        for (const [n, side] of entries) {
          const item = itemOf(n, 1000 + (n % 7))
          if (side !== 2) clientItems.push(item)
          if (side !== 1) serverItems.push(item)
        }
        const client = new SortedItems(clientItems)
        const server = new SortedItems(serverItems)
        const serverIds = new Set(server.all().map((i) => hex(i.id)))
        const clientIds = new Set(client.all().map((i) => hex(i.id)))
        const result = reconcile(client, server, frameLimit)
        expect(result.have).toEqual([...clientIds].filter((id) => !serverIds.has(id)).sort())
        expect(result.need).toEqual([...serverIds].filter((id) => !clientIds.has(id)).sort())
      }),
      { numRuns: 60 },
    )
  })

  it('costs few round trips and bytes for few differences in a large set', () => {
    const shared = Array.from({ length: 100_000 }, (_, n) => itemOf(n, 1_700_000_000 + n))
    const client = new SortedItems([...shared, itemOf(-1, 1_700_050_000)])
    const server = new SortedItems([...shared, itemOf(-2, 1_700_060_000)])
    const one = reconcile(client, server)
    expect(one.have).toEqual([hex(idOf(-1))])
    expect(one.need).toEqual([hex(idOf(-2))])
    expect(one.roundTrips).toBeLessThanOrEqual(3)
    expect(one.bytes).toBeLessThan(5_000)
    const same = reconcile(new SortedItems(shared), new SortedItems(shared))
    expect([same.roundTrips, same.have.length, same.need.length]).toEqual([1, 0, 0])
  })

  it('splits a large difference over frames of at most the limit', () => {
    const client = new SortedItems(Array.from({ length: 5000 }, (_, n) => itemOf(n)))
    const server = new SortedItems(Array.from({ length: 5000 }, (_, n) => itemOf(n + 2500)))
    const r = reconcile(client, server, 4096)
    expect(r.have.length).toBe(2500)
    expect(r.need.length).toBe(2500)
    expect(r.roundTrips).toBeGreaterThan(3)
  })

  it('refuses malformed messages with a NegentropyError, never anything else', () => {
    const server = new Negentropy(new SortedItems(Array.from({ length: 100 }, (_, n) => itemOf(n))))
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          server.reconcile(Uint8Array.of(0x61, ...bytes))
        } catch (error) {
          expect(error).toBeInstanceOf(NegentropyError)
        }
      }),
      { numRuns: 300 },
    )
    expect(() => server.reconcile(Uint8Array.of(0x20))).toThrow(/version/)
    // An id list claiming more ids than the message holds.
    expect(() => server.reconcile(Uint8Array.of(0x61, 0x00, 0x00, 0x02, ...encodeVarint(1000)))).toThrow(/longer than the message/)
    // A server asked in a newer version answers with the version it speaks.
    expect(server.reconcile(Uint8Array.of(0x62)).message).toEqual(Uint8Array.of(0x61))
  })

  it('varints are base 128, most significant digit first', () => {
    expect([...encodeVarint(0)]).toEqual([0])
    expect([...encodeVarint(127)]).toEqual([127])
    expect([...encodeVarint(128)]).toEqual([0x81, 0x00])
    expect([...encodeVarint(300)]).toEqual([0x82, 0x2c])
  })
})
