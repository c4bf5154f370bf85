/**
 * Our Negentropy v1 against another implementation of the spec (nostr-tools'
 * nip77, a dev dependency only): the same fingerprints, and a reconciliation
 * works with either side being ours. nostr-tools' server side keeps what it
 * learns from an id list to itself (callbacks) instead of answering with its
 * own ids (docs/records.md), so with it as the server the two sides together
 * know the differences; with ours as the server its client knows them all.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { nip77 } from 'nostr-tools'
import { Negentropy, SortedItems, type Item } from '../../src/core/records/negentropy.js'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const idOf = (n: number) => new Uint8Array(createHash('sha256').update(`interop ${n}`).digest())

function theirStorage(items: Item[]): InstanceType<typeof nip77.NegentropyStorageVector> {
  const storage = new nip77.NegentropyStorageVector()
  for (const item of items) storage.insert(item.timestamp, hex(item.id))
  storage.seal()
  return storage
}

function split(entries: [number, number][]) {
  const client: Item[] = []
  const server: Item[] = []
  for (const [n, side] of entries) {
    const item = { timestamp: 5000 + (n % 11), id: idOf(n) }
    if (side !== 2) client.push(item)
    if (side !== 1) server.push(item)
  }
  const dedupe = (items: Item[]) => [...new Map(items.map((i) => [hex(i.id), i])).values()]
  const c = dedupe(client)
  const s = dedupe(server)
  const sIds = new Set(s.map((i) => hex(i.id)))
  const cIds = new Set(c.map((i) => hex(i.id)))
  return { c, s, onlyClient: [...cIds].filter((x) => !sIds.has(x)).sort(), onlyServer: [...sIds].filter((x) => !cIds.has(x)).sort() }
}

const entries = fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 2 })), { maxLength: 1500 })

describe('negentropy interop with nostr-tools nip77', () => {
  it('computes the same fingerprints', () => {
    const items = Array.from({ length: 300 }, (_, n) => ({ timestamp: 100 + (n % 13), id: idOf(n) }))
    const ours = new SortedItems(items)
    const theirs = theirStorage(items)
    for (const [a, b] of [[0, 300], [0, 1], [17, 200], [299, 300], [5, 5]] as const) expect(hex(ours.fingerprint(a, b))).toBe(hex(theirs.fingerprint(a, b)))
  })

  it('their client, our server: their client learns exactly the differences (property)', () => {
    fc.assert(
      fc.property(entries, (list) => {
        const { c, s, onlyClient, onlyServer } = split(list)
        const client = new nip77.Negentropy(theirStorage(c), 4096 * 4)
        const server = new Negentropy(new SortedItems(s), 4096 * 4)
        const have: string[] = []
        const need: string[] = []
        let message: string | null = client.initiate()
        for (let rounds = 0; message !== null; rounds++) {
          expect(rounds).toBeLessThan(50)
          const reply = server.reconcile(Buffer.from(message, 'hex')).message!
          message = client.reconcile(hex(reply), (id) => have.push(id), (id) => need.push(id))
        }
        expect(have.sort()).toEqual(onlyClient)
        expect(need.sort()).toEqual(onlyServer)
      }),
      { numRuns: 40 },
    )
  })

  it('our client, their server: the two sides together know exactly the differences (property)', () => {
    fc.assert(
      fc.property(entries, (list) => {
        const { c, s, onlyClient, onlyServer } = split(list)
        const client = new Negentropy(new SortedItems(c), 4096 * 4)
        const server = new nip77.Negentropy(theirStorage(s), 4096 * 4)
        const have = new Set<string>()
        const need = new Set<string>()
        let message: Uint8Array | undefined = client.initiate()
        for (let rounds = 0; message; rounds++) {
          expect(rounds).toBeLessThan(50)
          // nostr-tools as server: what it has that we lack is our need, what we have that it lacks our have.
          const reply = server.reconcile(hex(message), (id) => need.add(id), (id) => have.add(id))
          if (reply === null) break // its way of saying "nothing left" (an empty reply)
          const r = client.reconcile(Buffer.from(reply, 'hex'))
          r.have.forEach((id) => have.add(hex(id)))
          r.need.forEach((id) => need.add(hex(id)))
          message = r.message
        }
        expect([...have].sort()).toEqual(onlyClient)
        expect([...need].sort()).toEqual(onlyServer)
      }),
      { numRuns: 40 },
    )
  })
})
