import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { BorgError } from '../../src/core/errors.js'
import { cryptoRandom } from '../../src/core/crypto/random.js'
import { BodyType } from '../../src/core/wire/message.js'
import { open, sealToBytes } from '../../src/core/envelope/seal.js'
import { sha256 } from '../../src/core/crypto/hash.js'
import { ALGORITHMS, testSigner } from '../helpers/keys.js'

describe.each(ALGORITHMS)('the signature binds every bit (%s sender)', (algorithm) => {
  const signer = testSigner(algorithm)
  const recipient = testSigner()
  const body = new TextEncoder().encode(JSON.stringify({ hello: 'world', n: 42 }))
  const bytes = sealToBytes(
    signer,
    { kind: 'tree.join', to: { type: 'node', id: recipient.keyId }, body, bodyType: BodyType.json },
    { expectsReply: true, ref: new Uint8Array(16).fill(7), timestamp: 1_700_000_000_123, random: cryptoRandom },
  )

  it('accepts the untouched message', () => {
    expect(open(bytes).body).toEqual(body)
  })

  it('rejects a flip of any single bit anywhere (header, signature or body)', () => {
    // Exhaustive over every bit of the message: ~2.6k positions.
    for (let i = 0; i < bytes.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const copy = bytes.slice()
        copy[i]! ^= 1 << bit
        let error: unknown
        try {
          open(copy)
        } catch (e) {
          error = e
        }
        if (!(error instanceof BorgError)) throw new Error(`flipping bit ${bit} of byte ${i} was not detected`)
      }
    }
  })

  it('rejects a body swapped for another of the same length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: body.length, maxLength: body.length }), (other) => {
        fc.pre(!other.every((b, i) => b === body[i]))
        const copy = bytes.slice()
        copy.set(other, bytes.length - body.length)
        expect(() => open(copy)).toThrow(expect.objectContaining({ code: 'body-hash-mismatch' }))
      }),
      { numRuns: 100 },
    )
  })

  it('rejects a valid header re-signed by someone else', () => {
    const forged = sealToBytes(testSigner(algorithm), { kind: 'tree.join', body, bodyType: BodyType.json }, { timestamp: 1, random: cryptoRandom })
    // Splice the real sender's key into the forger's message: signature no longer matches.
    const copy = forged.slice()
    copy.set(signer.keyId, 8 + 'tree.join'.length)
    expect(() => open(copy)).toThrow(expect.objectContaining({ code: 'bad-signature' }))
  })
})

describe('precomputed body hashes', () => {
  const signer = testSigner()
  it('are used as given, and a wrong one gets the message refused', () => {
    const body = new Uint8Array([1, 2, 3])
    const good = sealToBytes(signer, { kind: 'x.y', body, bodyHash: sha256(body) }, { timestamp: 1, random: cryptoRandom })
    expect(open(good).body).toEqual(body)
    const wrong = sealToBytes(signer, { kind: 'x.y', body, bodyHash: sha256(new Uint8Array([9])) }, { timestamp: 1, random: cryptoRandom })
    expect(() => open(wrong)).toThrow(expect.objectContaining({ code: 'body-hash-mismatch' }))
  })
})
