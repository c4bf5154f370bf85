/** EnvelopeSplitter: envelopes sent back to back come out one by one, however the stream is cut. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { concatBytes } from '../../src/core/bytes.js'
import { sealToBytes } from '../../src/core/envelope/seal.js'
import { EnvelopeSplitter } from '../../src/core/envelope/splitter.js'
import { cryptoRandom } from '../../src/core/crypto/random.js'
import { binaryMessage } from '../helpers/json-messages.js'
import { testSigner } from '../helpers/keys.js'
import { codeOf } from '../helpers/refusal.js'

const signer = testSigner()
const envelope = (bodyLength: number, kind = 't.x') =>
  sealToBytes(signer, binaryMessage(kind, new Uint8Array(bodyLength).fill(bodyLength & 0xff)), { timestamp: 1_700_000_000_000, random: cryptoRandom })

function collect() {
  const out: Uint8Array[] = []
  const starts: number[] = []
  let pieces: Uint8Array[] = []
  const splitter = new EnvelopeSplitter({
    start: (_bodyLength, total) => void starts.push(total),
    data: (bytes) => void pieces.push(bytes.slice()),
    end: () => {
      out.push(concatBytes(...pieces))
      pieces = []
    },
  })
  return { splitter, out, starts }
}

describe('EnvelopeSplitter', () => {
  it('gives back each envelope whole, its length announced first, whatever the chunk boundaries', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 4000 }), { minLength: 1, maxLength: 30 }), (lengths, cuts) => {
        const envelopes = lengths.map((n) => envelope(n))
        const stream = concatBytes(...envelopes)
        const { splitter, out, starts } = collect()
        let offset = 0
        for (let i = 0; offset < stream.length; i++) {
          const size = cuts[i % cuts.length]!
          splitter.push(stream.subarray(offset, offset + size))
          offset += size
        }
        expect(out).toEqual(envelopes)
        expect(starts).toEqual(envelopes.map((e) => e.length))
        expect(splitter.atBoundary).toBe(true)
      }),
      { numRuns: 200 },
    )
  })

  it('holds a partial envelope until the rest comes', () => {
    const bytes = envelope(100)
    const { splitter, out } = collect()
    splitter.push(bytes.subarray(0, 5))
    expect(splitter.atBoundary).toBe(false)
    splitter.push(bytes.subarray(5, 150))
    expect(out).toHaveLength(0)
    splitter.push(bytes.subarray(150))
    expect(out).toEqual([bytes])
  })

  it('refuses a stream that is not envelopes (malformed) as soon as the magic is wrong', () => {
    const { splitter } = collect()
    expect(codeOf(() => splitter.push(Uint8Array.of(0x47, 0x45, 0x54)))).toBe('malformed')
  })

  it('passes what its sink throws on (a sink refusing a header stops the stream)', () => {
    const splitter = new EnvelopeSplitter({
      start: () => {
        throw new Error('no')
      },
      data: () => {},
      end: () => {},
    })
    expect(() => splitter.push(envelope(1))).toThrow('no')
  })
})
