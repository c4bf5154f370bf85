import { describe, expect, it } from 'vitest'
import { randomBytes, createHash } from 'node:crypto'
import { decryptChunk, encryptChunk, fileKey, fileKeysFromIdentity, openMeta, sealMeta, TAG_BYTES } from '../../src/core/storage/file-crypto.js'

const sha = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest())

describe('file encryption', () => {
  const identity = randomBytes(32)
  const keys = fileKeysFromIdentity(identity)
  const plain = randomBytes(5000)
  const key = fileKey(keys, sha(plain))

  it('round-trips, is deterministic per owner and file, and different for another owner', () => {
    const sealed = encryptChunk(key, 3, plain)
    expect(sealed.length).toBe(plain.length + TAG_BYTES)
    expect(Buffer.from(decryptChunk(key, 3, sealed)).equals(plain)).toBe(true)
    // Same owner (restored identity: same secret), same file: same ciphertext, so the same chunk names.
    const again = encryptChunk(fileKey(fileKeysFromIdentity(Uint8Array.from(identity)), sha(plain)), 3, plain)
    expect(Buffer.from(again).equals(Buffer.from(sealed))).toBe(true)
    const other = fileKey(fileKeysFromIdentity(randomBytes(32)), sha(plain))
    expect(Buffer.from(encryptChunk(other, 3, plain)).equals(Buffer.from(sealed))).toBe(false)
    expect(() => decryptChunk(other, 3, sealed)).toThrow(/does not decrypt/)
  })

  it('detects a flipped bit, a swapped chunk index and a truncation', () => {
    const sealed = encryptChunk(key, 0, plain)
    const flipped = Uint8Array.from(sealed)
    flipped[10]! ^= 1
    expect(() => decryptChunk(key, 0, flipped)).toThrow()
    expect(() => decryptChunk(key, 1, sealed)).toThrow()
    expect(() => decryptChunk(key, 0, sealed.subarray(0, 8))).toThrow(/shorter than its tag/)
  })

  it('seals the metadata for the owner only', () => {
    const meta = { sha256: 'ab'.repeat(32), name: 'secret plans.txt', mime: 'text/plain' }
    const sealed = sealMeta(keys, meta)
    expect(Buffer.from(sealed).includes(Buffer.from('secret'))).toBe(false)
    expect(openMeta(fileKeysFromIdentity(Uint8Array.from(identity)), sealed)).toEqual(meta)
    expect(() => openMeta(fileKeysFromIdentity(randomBytes(32)), sealed)).toThrow(/another identity/)
  })
})
