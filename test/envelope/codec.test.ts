import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { BorgError } from '../../src/core/errors.js'
import { concatBytes } from '../../src/core/bytes.js'
import { cryptoRandom } from '../../src/core/crypto/random.js'
import { BodyType, type Target } from '../../src/core/wire/message.js'
import { encodeHeader, parseHeader } from '../../src/core/envelope/codec.js'
import { open, seal, sealToBytes } from '../../src/core/envelope/seal.js'
import { MAX_HEADER_BYTES } from '../../src/core/envelope/layout.js'
import { testSigner } from '../helpers/keys.js'

const signer = testSigner()
const signers = [signer, testSigner('secp256k1')]
const other = testSigner()
const otherIdentity = testSigner('secp256k1')

const kindArb = fc.stringMatching(/^[a-z][a-z0-9]{0,10}(?:[._/-][a-z0-9]{1,8}){0,3}$/).filter((k) => k.length <= 64)
const targetArb: fc.Arbitrary<Target> = fc.oneof(
  fc.constant<Target>({ type: 'none' }),
  fc.constant<Target>({ type: 'node', id: other.keyId }),
  fc.constant<Target>({ type: 'node', id: otherIdentity.keyId }),
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((id): Target => ({ type: 'tree', id })),
)
const messageArb = fc.record({
  signer: fc.constantFrom(...signers),
  kind: kindArb,
  to: targetArb,
  body: fc.uint8Array({ maxLength: 300 }),
  bodyType: fc.constantFrom(BodyType.binary, BodyType.json),
  expectsReply: fc.boolean(),
  ref: fc.option(fc.uint8Array({ minLength: 16, maxLength: 16 }).filter((r) => r.some((b) => b !== 0)), { nil: undefined }),
  timestamp: fc.integer({ min: 0, max: 2 ** 53 - 1 }),
})

describe('envelope codec', () => {
  it('round-trips every field', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const sealed = seal(m.signer, { kind: m.kind, to: m.to, body: m.body, bodyType: m.bodyType }, {
          expectsReply: m.expectsReply,
          ref: m.ref,
          timestamp: m.timestamp,
          random: cryptoRandom,
        })
        const bytes = concatBytes(sealed.headerBytes, sealed.body)
        const { header, body } = open(bytes)
        expect(header).toEqual(sealed.header)
        expect(body).toEqual(m.body)
        expect(header.kind).toBe(m.kind)
        expect(header.to).toEqual(m.to)
        expect(header.expectsReply).toBe(m.expectsReply)
        expect(header.ref).toEqual(m.ref)
        expect(header.timestamp).toBe(m.timestamp)
        expect(sealed.headerBytes.length).toBeLessThanOrEqual(MAX_HEADER_BYTES)
        // Re-encoding the decoded header gives the same bytes: one encoding per message.
        expect(encodeHeader(header)).toEqual(sealed.headerBytes)
      }),
      { numRuns: 200 },
    )
  })

  it('reports incomplete headers until every byte is there', () => {
    const bytes = sealToBytes(signer, { kind: 'wire.ping' }, { timestamp: 1, random: cryptoRandom })
    for (let n = 0; n < bytes.length; n++) expect(parseHeader(bytes.subarray(0, n)).status).toBe('incomplete')
    expect(parseHeader(bytes).status).toBe('ok')
  })

  it('never throws anything but a BorgError on arbitrary input', () => {
    const valid = sealToBytes(signer, { kind: 'wire.echo', body: new Uint8Array([1, 2, 3]) }, { timestamp: 5, random: cryptoRandom })
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 400 }),
          // valid prefix with random tail / random mutation: exercises the deep paths
          fc.tuple(fc.nat(valid.length), fc.uint8Array({ maxLength: 64 })).map(([cut, tail]) => concatBytes(valid.subarray(0, cut), tail)),
          fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
            const copy = valid.slice()
            copy[i]! ^= x
            return copy
          }),
        ),
        (bytes) => {
          try {
            open(bytes)
          } catch (error) {
            expect(error).toBeInstanceOf(BorgError)
            expect(['malformed', 'unsupported-version', 'bad-signature', 'body-hash-mismatch']).toContain((error as BorgError).code)
          }
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('rejects unknown versions, flags, body types and target types', () => {
    const bytes = sealToBytes(signer, { kind: 'k' }, { timestamp: 1, random: cryptoRandom })
    const mutate = (offset: number, value: number) => {
      const copy = bytes.slice()
      copy[offset] = value
      return copy
    }
    expect(() => open(mutate(4, 2))).toThrow(expect.objectContaining({ code: 'unsupported-version' }))
    expect(() => open(mutate(5, 0x80))).toThrow(expect.objectContaining({ code: 'malformed' }))
    expect(() => open(mutate(6, 7))).toThrow(expect.objectContaining({ code: 'malformed' }))
    expect(() => open(mutate(8 + 1 + 33, 9))).toThrow(expect.objectContaining({ code: 'malformed' })) // target type (Ed25519 sender: 1+32 bytes)
    expect(() => open(mutate(8 + 1, 0x02))).toThrow(/unknown key algorithm/)
    expect(() => open(mutate(0, 0x41))).toThrow(/bad magic/)
    expect(() => open(concatBytes(bytes, new Uint8Array([0])))).toThrow(/trailing bytes/)
  })

  it('refuses to seal invalid kinds', () => {
    for (const kind of ['', 'Upper', 'a b', '9lives', 'a..b', 'x'.repeat(65), 'é']) {
      expect(() => seal(signer, { kind }, { timestamp: 1, random: cryptoRandom })).toThrow(BorgError)
    }
  })
})
