import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ed25519 } from '@noble/curves/ed25519.js'
import { ed25519Backend, ed25519PublicKeyOf, ed25519Sign, ed25519Verify, generateEd25519SecretKey } from '../../src/core/crypto/ed25519.js'
import { ALG_ED25519, ALG_SECP256K1, isValidKeyId, keyId, parseKeyIdHex, verifyByKeyId } from '../../src/core/crypto/key-id.js'
import { BorgError } from '../../src/core/errors.js'
import { bytesToHex } from '../../src/core/bytes.js'
import { testSigner } from '../helpers/keys.js'

describe('Ed25519', () => {
  it('is native in node', () => {
    expect(ed25519Backend()).toBe('native')
  })

  it('matches RFC 8032 test vector 2 (one-byte message)', () => {
    // RFC 8032 §7.1, TEST 2.
    const secret = Buffer.from('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', 'hex')
    const publicKey = ed25519PublicKeyOf(secret)
    expect(bytesToHex(publicKey)).toBe('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c')
    const signature = ed25519Sign(Uint8Array.of(0x72), secret)
    expect(bytesToHex(signature)).toBe(
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
    )
    expect(ed25519Verify(signature, Uint8Array.of(0x72), publicKey)).toBe(true)
  })

  it('native and noble agree on signatures and on tampering', () => {
    const secret = generateEd25519SecretKey()
    const publicKey = ed25519PublicKeyOf(secret)
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(63), fc.integer({ min: 1, max: 255 }), (message, index, xor) => {
        const signature = ed25519Sign(message, secret)
        expect(signature).toEqual(ed25519.sign(message, secret))
        expect(ed25519Verify(signature, message, publicKey)).toBe(true)
        const bad = signature.slice()
        bad[index]! ^= xor
        expect(ed25519Verify(bad, message, publicKey)).toBe(false)
        expect(ed25519.verify(bad, message, publicKey, { zip215: false })).toBe(false)
      }),
      { numRuns: 200 },
    )
  })

  it('never throws on garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), fc.uint8Array({ maxLength: 40 }), (signature, publicKey) => {
        expect(ed25519Verify(signature, new Uint8Array(1), publicKey)).toBe(false)
      }),
    )
  })
})

describe('key ids', () => {
  it('dispatch verification by algorithm and refuse cross-algorithm confusion', () => {
    const node = testSigner('ed25519')
    const identity = testSigner('secp256k1')
    const message = new Uint8Array([1, 2, 3])
    expect(node.keyId[0]).toBe(ALG_ED25519)
    expect(identity.keyId[0]).toBe(ALG_SECP256K1)
    expect(verifyByKeyId(node.keyId, node.sign(message), message)).toBe(true)
    expect(verifyByKeyId(identity.keyId, identity.sign(message), message)).toBe(true)
    expect(verifyByKeyId(node.keyId, identity.sign(message), message)).toBe(false)
    expect(verifyByKeyId(Uint8Array.of(0x02, ...node.publicKey), node.sign(message), message)).toBe(false)
  })

  it('parse from text strictly', () => {
    const node = testSigner('ed25519')
    expect(parseKeyIdHex(bytesToHex(node.keyId))).toEqual(node.keyId)
    expect(parseKeyIdHex(bytesToHex(node.keyId).toUpperCase())).toEqual(node.keyId)
    for (const bad of ['', 'ed', `02${'a'.repeat(64)}`, `ed${'a'.repeat(63)}`, `01${'0'.repeat(66)}`]) {
      expect(() => parseKeyIdHex(bad)).toThrow(BorgError)
    }
    expect(isValidKeyId(keyId(ALG_ED25519, node.publicKey))).toBe(true)
    expect(isValidKeyId(Uint8Array.of(ALG_ED25519))).toBe(false)
  })
})
