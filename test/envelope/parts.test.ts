import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { BorgError } from '../../src/core/errors.js'
import { cryptoRandom } from '../../src/core/crypto/random.js'
import { sha256 } from '../../src/core/crypto/hash.js'
import { concatBytes } from '../../src/core/bytes.js'
import { sealToBytes, seal, open } from '../../src/core/envelope/seal.js'
import { EnvelopeVerifier } from '../../src/core/envelope/verifier.js'
import { EnvelopeReader } from '../../src/core/envelope/reader.js'
import { encodePartsIndex, openParts, MAX_PARTS } from '../../src/core/envelope/parts.js'
import { parseHeader } from '../../src/core/envelope/codec.js'
import { BodyType, type Outgoing } from '../../src/core/wire/message.js'
import { manualClock, testSigner } from '../helpers/keys.js'
import { codeOf } from '../helpers/refusal.js'

const sender = testSigner()
const me = testSigner()
const T0 = 1_700_000_000_000
const utf8 = new TextEncoder()

function partsMessage(parts: Uint8Array[], head = utf8.encode('{"a":1}'), hashes = parts.map((p) => sha256(p))): Outgoing {
  return {
    kind: 'test.parts',
    to: { type: 'node', id: me.keyId },
    body: encodePartsIndex(head, parts.map((p, k) => ({ hash: hashes[k]!, length: p.length }))),
    bodyType: BodyType.parts,
    parts,
  }
}

function verifier() {
  return new EnvelopeVerifier({ localId: me.keyId, clock: manualClock(T0) })
}

/** Feed `bytes` to a reader in slices of the given sizes (cycled). */
function readInSlices(bytes: Uint8Array, sizes: number[]) {
  const reader = new EnvelopeReader(verifier())
  let at = 0
  let k = 0
  while (at < bytes.length) {
    const n = Math.max(1, sizes[k++ % sizes.length]!)
    reader.push(bytes.subarray(at, at + n))
    at += n
  }
  return reader.finish().incoming
}

const seed = (n: number, fill: number) => new Uint8Array(n).fill(fill)

describe('parts bodies', () => {
  it('seal signs the index hash and carries the parts uncopied; the body length counts them all', () => {
    const parts = [seed(1000, 1), seed(0, 0), seed(70_000, 3)]
    const message = partsMessage(parts)
    const sealed = seal(sender, message, { timestamp: T0, random: cryptoRandom })
    expect(sealed.parts[0]).toBe(parts[0])
    expect(sealed.header.bodyType).toBe(BodyType.parts)
    expect(sealed.header.bodyHash).toEqual(sha256(message.body!))
    expect(sealed.header.bodyLength).toBe(message.body!.length + 71_000)
  })

  it('round-trips through the streaming reader in any slicing, each part checked and viewed', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 0, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 5 }),
        fc.string({ maxLength: 40 }),
        (lengths, slices, headText) => {
          const parts = lengths.map((n, k) => seed(n, k + 7))
          const bytes = sealToBytes(sender, partsMessage(parts, utf8.encode(headText)), { timestamp: T0, random: cryptoRandom })
          const incoming = readInSlices(bytes, slices)
          expect(incoming.bodyType).toBe(BodyType.parts)
          expect(new TextDecoder().decode(incoming.split!.head)).toBe(headText)
          expect(incoming.split!.parts.map((p) => Uint8Array.from(p.bytes))).toEqual(parts)
          expect(incoming.split!.parts.map((p) => p.hash)).toEqual(parts.map((p) => sha256(p)))
          // The same bytes open whole too.
          expect(open(bytes).header.bodyType).toBe(BodyType.parts)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('refuses a part whose bytes do not match its entry, naming the part', () => {
    const parts = [seed(3000, 1), seed(3000, 2)]
    const bytes = sealToBytes(sender, partsMessage(parts), { timestamp: T0, random: cryptoRandom })
    bytes[bytes.length - 10] ^= 1 // inside part 1
    let caught: unknown
    try {
      readInSlices(bytes, [1024])
    } catch (error) {
      caught = error
    }
    expect((caught as BorgError).code).toBe('body-hash-mismatch')
    expect((caught as BorgError).message).toMatch(/part 1/)
    expect(codeOf(() => open(bytes))).toBe('body-hash-mismatch')
    expect(codeOf(() => verifier().verifyBytes(bytes))).toBe('body-hash-mismatch')
  })

  it('refuses a wrong part hash in the index before the parts arrive (the index hash is signed)', () => {
    const parts = [seed(200_000, 1)]
    const good = sealToBytes(sender, partsMessage(parts), { timestamp: T0, random: cryptoRandom })
    const parsed = parseHeader(good)
    if (parsed.status !== 'ok') throw new Error('header')
    const tampered = good.slice()
    tampered[parsed.headerLength + 8 + 7 + 5] ^= 1 // a byte of part 0's hash in the index
    const reader = new EnvelopeReader(verifier())
    // Only the header and the index: refused already.
    expect(codeOf(() => reader.push(tampered.subarray(0, parsed.headerLength + 8 + 7 + 36 + 64 * 1024)))).toBe('body-hash-mismatch')
  })

  it('refuses a sender who signs parts that are not what it sends (a wrong hash of its own)', () => {
    const parts = [seed(100, 1)]
    const bytes = sealToBytes(sender, partsMessage(parts, undefined, [sha256(seed(100, 2))]), { timestamp: T0, random: cryptoRandom })
    expect(codeOf(() => readInSlices(bytes, [50]))).toBe('body-hash-mismatch')
  })

  it('refuses indexes whose lengths do not add up, oversized heads and too many parts, as malformed', () => {
    // Lengths that sum past the body: build the index by hand, then sign what is sent.
    const index = encodePartsIndex(new Uint8Array(0), [{ hash: sha256(seed(10, 1)), length: 11 }])
    const lying: Outgoing = { kind: 'test.parts', to: { type: 'node', id: me.keyId }, body: index, bodyType: BodyType.parts, parts: [seed(10, 1)] }
    expect(codeOf(() => readInSlices(sealToBytes(sender, lying, { timestamp: T0, random: cryptoRandom }), [7]))).toBe('malformed')

    const raw = new Uint8Array(8)
    new DataView(raw.buffer).setUint32(0, 70_000)
    expect(codeOf(() => openParts(concatBytes(raw, new Uint8Array(70_000))))).toBe('malformed')
    const many = new Uint8Array(8)
    new DataView(many.buffer).setUint32(4, MAX_PARTS + 1)
    expect(codeOf(() => openParts(concatBytes(many, new Uint8Array(36 * (MAX_PARTS + 1)))))).toBe('malformed')
    expect(() => encodePartsIndex(new Uint8Array(0), Array.from({ length: MAX_PARTS + 1 }, () => ({ hash: new Uint8Array(32), length: 0 })))).toThrow(/exceed/)
  })

  it('refuses parts on a body type that is not parts', () => {
    expect(() => seal(sender, { kind: 'test.parts', body: new Uint8Array(1), parts: [new Uint8Array(1)] }, { timestamp: T0, random: cryptoRandom })).toThrow(/body type parts/)
  })
})
