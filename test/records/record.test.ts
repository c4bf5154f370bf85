/** The record codec (src/core/records/record.ts): one encoding, the author's signature, strict limits. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { sha256 } from '../../src/core/crypto/hash.js'
import { decodeRecord, encodeUnsignedRecord, isCollectionName, MAX_CONTENT_BYTES, signRecord, type UnsignedRecord } from '../../src/core/records/record.js'
import { testSigner } from '../helpers/keys.js'
import { codeOf } from '../helpers/refusal.js'

const author = testSigner('ed25519')
const identity = testSigner('secp256k1')
const code = (f: () => unknown) => codeOf(f) ?? 'no error'
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))
const base = (overrides: Partial<UnsignedRecord> = {}): UnsignedRecord => ({
  kind: 'record',
  collection: 'services',
  author: author.keyId,
  created: 1_700_000_000,
  expires: 0,
  contentType: 'json',
  content: json({ cells: ['storage'], ttl: 300 }),
  ...overrides,
})

describe('records', () => {
  it('round-trip for either key algorithm; the id is SHA-256 of the bytes before the signature', () => {
    for (const [signer, record] of [[author, base()], [identity, base({ author: identity.keyId, contentType: 'bytes', content: Uint8Array.of(1, 2, 3), expires: 1_700_000_600 })]] as const) {
      const signed = signRecord(record, signer)
      const decoded = decodeRecord(signed.bytes)
      expect(decoded.id).toEqual(sha256(encodeUnsignedRecord(record)))
      expect(decoded.record).toEqual({ ...record, signature: signed.record.signature })
    }
  })

  it('is refused when any byte changes, or one is added or removed (property)', () => {
    const { bytes } = signRecord(base(), author)
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const changed = Uint8Array.from(bytes)
        changed[at]! ^= xor
        return ['malformed', 'bad-signature', 'unsupported-version', 'too-large'].includes(code(() => decodeRecord(changed)))
      }),
    )
    expect(code(() => decodeRecord(Uint8Array.from([...bytes, 0])))).toBe('malformed')
    expect(code(() => decodeRecord(bytes.subarray(0, bytes.length - 1)))).toBe('malformed')
  })

  it('refuses bad collections, times, content and deletions before signing', () => {
    const cases: [string, Partial<UnsignedRecord>, string][] = [
      ['an upper-case collection', { collection: 'Services' }, 'malformed'],
      ['an empty collection', { collection: '' }, 'malformed'],
      ['a 65-character collection', { collection: 'a'.repeat(65) }, 'malformed'],
      ['a collection starting with a dot', { collection: '.x' }, 'malformed'],
      ['expiry before creation', { expires: 1_600_000_000 }, 'malformed'],
      ['a fractional time', { created: 1.5 }, 'malformed'],
      ['content that is not JSON', { content: new TextEncoder().encode('{nope') }, 'malformed'],
      ['content above 64 KiB', { contentType: 'bytes', content: new Uint8Array(MAX_CONTENT_BYTES + 1) }, 'too-large'],
      ['a deletion without a 32-byte id', { kind: 'deletion', contentType: 'bytes', content: new Uint8Array(31) }, 'malformed'],
      ['a deletion with JSON content', { kind: 'deletion', contentType: 'json', content: json('x') }, 'malformed'],
    ]
    for (const [what, change, expected] of cases) expect([what, code(() => signRecord(base(change), author))]).toEqual([what, expected])
    expect(code(() => signRecord(base(), identity))).toBe('invalid-input') // not its author
    expect(isCollectionName('mail.inbox-2')).toBe(true)
  })

  it('a deletion carries the id it deletes', () => {
    const target = signRecord(base(), author)
    const deletion = signRecord(base({ kind: 'deletion', contentType: 'bytes', content: target.id, created: 1_700_000_100 }), author)
    expect(decodeRecord(deletion.bytes).record.content).toEqual(target.id)
  })
})
