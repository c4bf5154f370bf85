/**
 * Replicas of one collection (record-set.ts, sync.ts) under random inserts,
 * deletions, expiries, clock advances and interleaved syncs: once everyone
 * syncs with everyone, every replica holds the same set; nothing invalid,
 * from the future or past retention is ever stored; a deleted record never
 * comes back.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { bytesToHex } from '../../src/core/bytes.js'
import { policy } from '../../src/core/records/collection.js'
import { signRecord, type SignedRecord } from '../../src/core/records/record.js'
import { RecordSet } from '../../src/core/records/record-set.js'
import { answerReconcile, syncWith, type SyncPeer } from '../../src/core/records/sync.js'
import { testSigner } from '../helpers/keys.js'

const authors = [testSigner('ed25519'), testSigner('ed25519'), testSigner('secp256k1')]
const RETENTION = 1000
const START = 1_800_000_000

function peerOf(set: RecordSet, now: () => number): SyncPeer {
  return {
    reconcile: async (message) => answerReconcile(set, message),
    fetch: async (ids) => ids.map((id) => set.get(bytesToHex(id))?.bytes).filter((b): b is Uint8Array => b !== undefined),
    push: async (records) => {
      for (const bytes of records) {
        try {
          set.offer(bytes, now())
        } catch {
          // refused by the peer's rules: not stored
        }
      }
    },
  }
}

type Step =
  | { op: 'put'; at: number; author: number; expires: number; age: number }
  | { op: 'delete'; at: number; pick: number }
  | { op: 'sync'; a: number; b: number }
  | { op: 'tick'; seconds: number }

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('put' as const), at: fc.nat(2), author: fc.nat(2), expires: fc.constantFrom(0, 0, 0, 50, 400), age: fc.constantFrom(0, 0, 100, 600) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat(2), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('sync' as const), a: fc.nat(2), b: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('tick' as const), seconds: fc.constantFrom(10, 100, 300) }) },
)

/** What the runs exercised, over all of them (so the property is shown to test something). */
const exercised = { deletions: 0, fetched: 0, pushed: 0, expired: 0 }

describe('record replicas', () => {
  it('converge to one set; never store the invalid; never bring back the deleted (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 60 }), async (steps) => {
        let now = START
        const clock = () => now
        const p = policy('notes', { retentionSeconds: RETENTION, maxPerAuthor: 40 })
        const replicas = [0, 1, 2].map(() => new RecordSet(p))
        const made: SignedRecord[] = []
        const deletedTargets: SignedRecord[] = []
        let serial = 0
        for (const s of steps) {
          if (s.op === 'put') {
            const created = now - s.age
            const record = signRecord({ kind: 'record', collection: 'notes', author: authors[s.author]!.keyId, created, expires: s.expires === 0 ? 0 : created + s.expires, contentType: 'json', content: new TextEncoder().encode(JSON.stringify({ n: serial++ })) }, authors[s.author]!)
            made.push(record)
            try {
              replicas[s.at]!.offer(record.bytes, now)
            } catch {
              // expired on arrival (an old creation time with a short expiry): refused
            }
          } else if (s.op === 'delete') {
            const held = replicas[s.at]!.list()
            if (held.length === 0) continue
            const target = held[s.pick % held.length]!
            const author = authors.find((a) => bytesToHex(a.keyId) === bytesToHex(target.record.author))!
            const deletion = signRecord({ kind: 'deletion', collection: 'notes', author: author.keyId, created: Math.max(now, target.record.created), expires: 0, contentType: 'bytes', content: target.id }, author)
            replicas[s.at]!.offer(deletion.bytes, now)
            deletedTargets.push(target)
            exercised.deletions++
          } else if (s.op === 'sync') {
            if (s.a === s.b) continue
            const stats = await syncWith(replicas[s.a]!, peerOf(replicas[s.b]!, clock), clock)
            exercised.fetched += stats.fetched
            exercised.pushed += stats.pushed
          } else {
            now += s.seconds
            for (const r of replicas) exercised.expired += r.gc(now).length
          }
        }
        // Everyone syncs with everyone, twice: the sets are equal.
        for (let round = 0; round < 2; round++) for (const [a, b] of [[0, 1], [1, 2], [2, 0], [1, 0], [2, 1], [0, 2]] as const) await syncWith(replicas[a]!, peerOf(replicas[b]!, clock), clock)
        const ids = replicas.map((r) => r.list({ deletions: true }).map((h) => bytesToHex(h.id)).sort())
        expect(ids[1]).toEqual(ids[0])
        expect(ids[2]).toEqual(ids[0])
        // Nothing held is past its expiry or created beyond the future window.
        for (const r of replicas) for (const h of r.list({ deletions: true })) expect(h.expiry).toBeGreaterThan(now)
        // A deleted record offered again is refused everywhere while its deletion lives (or is past retention).
        for (const target of deletedTargets) {
          for (const r of replicas) {
            expect(() => r.offer(target.bytes, now)).toThrow()
            expect(r.has(bytesToHex(target.id))).toBe(false)
          }
        }
      }),
      { numRuns: 40 },
    )
    expect(Object.values(exercised).every((n) => n > 0), JSON.stringify(exercised)).toBe(true)
  })

  it('refuses a bad signature, a record from the future, one past retention, and one over the author quota', () => {
    const now = START
    const set = new RecordSet(policy('notes', { retentionSeconds: RETENTION, maxPerAuthor: 2 }))
    const a = authors[0]!
    const make = (created: number, n = 0, signer = a) => signRecord({ kind: 'record', collection: 'notes', author: a.keyId, created, expires: 0, contentType: 'json', content: new TextEncoder().encode(String(n)) }, signer)
    const forged = Uint8Array.from(make(now).bytes)
    forged[forged.length - 1]! ^= 1
    const code = (bytes: Uint8Array) => {
      try {
        set.offer(bytes, now)
        return 'stored'
      } catch (error) {
        return (error as { code: string }).code
      }
    }
    expect(code(forged)).toBe('bad-signature')
    expect(code(make(now + 901).bytes)).toBe('from-future')
    expect(code(make(now - RETENTION).bytes)).toBe('expired')
    expect(code(make(now + 900, 1).bytes)).toBe('stored')
    expect(code(make(now, 2).bytes)).toBe('stored')
    expect(code(make(now, 3).bytes)).toBe('refused') // the quota: 2 per author
    expect(set.size).toBe(2)
    // Another author still gets in.
    const b = authors[1]!
    expect(code(signRecord({ kind: 'record', collection: 'notes', author: b.keyId, created: now, expires: 0, contentType: 'json', content: new TextEncoder().encode('1') }, b).bytes)).toBe('stored')
  })
})
