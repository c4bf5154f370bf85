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
})
