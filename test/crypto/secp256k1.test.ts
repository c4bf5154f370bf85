import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { __verifiers, generateKeyPair, sign, verify, verifyBackend } from '../../src/core/crypto/secp256k1.js'
import { sha256 } from '../../src/core/crypto/hash.js'

const { openssl, noble } = __verifiers
const N = secp256k1.Point.CURVE().n

describe('secp256k1 verification backends agree', () => {
  it('uses OpenSSL under node (bun falls back to noble)', () => {
    expect(verifyBackend()).toBe('openssl')
  })

  it('both accept genuine signatures and reject any tampering', () => {
    const key = generateKeyPair()
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(63), fc.integer({ min: 1, max: 255 }), (message, index, xor) => {
        const signature = sign(message, key.secretKey)
        expect(openssl(signature, message, key.publicKey)).toBe(true)
        expect(noble(signature, message, key.publicKey)).toBe(true)
        const bad = signature.slice()
        bad[index]! ^= xor
        expect(openssl(bad, message, key.publicKey)).toBe(noble(bad, message, key.publicKey))
        expect(noble(bad, message, key.publicKey)).toBe(false)
      }),
      { numRuns: 100 },
    )
  })

  it('both refuse the high-S twin of a valid signature (no malleability)', () => {
    const key = generateKeyPair()
    const message = new Uint8Array([1, 2, 3])
    const signature = sign(message, key.secretKey)
    const s = BigInt('0x' + Buffer.from(signature.subarray(32)).toString('hex'))
    const high = signature.slice()
    high.set(Buffer.from((N - s).toString(16).padStart(64, '0'), 'hex'), 32)
    // The twin is mathematically valid ECDSA, yet must be refused by both.
    expect(secp256k1.verify(high, sha256(message), key.publicKey, { prehash: false, lowS: false })).toBe(true)
    expect(openssl(high, message, key.publicKey)).toBe(false)
    expect(noble(high, message, key.publicKey)).toBe(false)
  })

  it('never throws on garbage keys or signatures', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), fc.uint8Array({ maxLength: 40 }), (signature, publicKey) => {
        expect(verify(signature, new Uint8Array(1), publicKey)).toBe(false)
        expect(openssl(signature, new Uint8Array(1), publicKey)).toBe(false)
        expect(noble(signature, new Uint8Array(1), publicKey)).toBe(false)
      }),
    )
  })
})

describe('the cached-point pure-JS verifier', () => {
  it('agrees with noble\'s reference verify on valid, tampered and foreign signatures, cold and warm', () => {
    const keys = [generateKeyPair(), generateKeyPair()]
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(1), fc.nat(63), fc.integer({ min: 0, max: 255 }), (message, who, index, xor) => {
        const key = keys[who]!
        const signature = sign(message, key.secretKey)
        signature[index]! ^= xor
        for (const publicKey of [key.publicKey, keys[1 - who]!.publicKey]) {
          const reference = secp256k1.verify(signature, sha256(message), publicKey, { prehash: false, lowS: true })
          expect(noble(signature, message, publicKey)).toBe(reference)
        }
      }),
      { numRuns: 150 },
    )
  })
})
