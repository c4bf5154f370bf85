import { describe, expect, it } from 'vitest'
import { createHash, randomBytes } from 'node:crypto'
import { backgroundSha256 } from '../../src/core/crypto/background-hash.js'

describe('backgroundSha256', () => {
  it('gives the same digest as a hash over the same stream, also when the caller reuses its buffer', async () => {
    const h = backgroundSha256()
    const reference = createHash('sha256')
    const buffer = new Uint8Array(100_000)
    for (let i = 0; i < 20; i++) {
      buffer.set(randomBytes(buffer.length))
      h.update(buffer)
      reference.update(buffer)
    }
    expect(Buffer.from(await h.digest()).toString('hex')).toBe(reference.digest('hex'))
    expect(Buffer.from(await backgroundSha256().digest()).toString('hex')).toBe(createHash('sha256').digest('hex'))
  })

  it('takes owned buffers without a copy, and lets the caller wait until little is left to hash', async () => {
    const h = backgroundSha256()
    const reference = createHash('sha256')
    for (let i = 0; i < 40; i++) {
      const piece = new Uint8Array(randomBytes(1 << 20))
      reference.update(piece)
      h.updateOwned(piece)
      expect(piece.byteLength).toBe(0) // moved to the worker, not copied
      await h.below(4 << 20)
    }
    await h.below(0)
    expect(Buffer.from(await h.digest()).toString('hex')).toBe(reference.digest('hex'))
  })
})
