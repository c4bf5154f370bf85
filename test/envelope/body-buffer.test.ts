import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { BorgError } from '../../src/core/errors.js'
import { sha256 } from '../../src/core/crypto/hash.js'
import { BodyBuffer } from '../../src/core/envelope/body-buffer.js'

describe('BodyBuffer', () => {
  it('property: any chunking gives back the same bytes and hash, reserving at most about twice what arrived', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 600_000 }), fc.array(fc.integer({ min: 1, max: 200_000 }), { minLength: 1, maxLength: 20 }), (length, cuts) => {
        const body = new Uint8Array(length).map((_, i) => (i * 131 + (i >> 9)) & 0xff)
        let reserved = 0
        const buffer = new BodyBuffer(length, (bytes) => void (reserved += bytes))
        let at = 0
        for (let i = 0; at < length; i++) {
          const next = Math.min(length, at + cuts[i % cuts.length]!)
          buffer.write(body.subarray(at, next))
          at = next
          expect(reserved).toBeLessThanOrEqual(Math.max(64 * 1024, 2 * at))
        }
        expect(reserved).toBe(length)
        expect(Buffer.compare(buffer.digest(), sha256(body))).toBe(0)
        expect(Buffer.compare(buffer.bytes(), body)).toBe(0)
      }),
      { numRuns: 60 },
    )
  })

  it('moves a body past its first MiB into one buffer of its full length, so it is not copied again at the end', () => {
    const length = 5 * 1024 * 1024 + 3
    let reserved = 0
    const buffer = new BodyBuffer(length, (bytes) => void (reserved += bytes))
    buffer.write(new Uint8Array(1024 * 1024 + 1).fill(7))
    expect(reserved).toBe(2 * 1024 * 1024) // charged only a step ahead of what arrived
    buffer.write(new Uint8Array(length - 1024 * 1024 - 1).fill(7))
    const bytes = buffer.bytes()
    expect(bytes.length).toBe(length)
    expect(buffer.bytes()).toBe(bytes)
    expect(bytes.every((b) => b === 7)).toBe(true)
  })

  it('allocates nothing before bytes arrive, and refuses trailing bytes and a truncated read', () => {
    let reserved = 0
    const buffer = new BodyBuffer(64 * 1024 * 1024, (bytes) => void (reserved += bytes))
    expect(reserved).toBe(0)
    buffer.write(new Uint8Array(10))
    expect(reserved).toBe(64 * 1024)
    expect(() => buffer.bytes()).toThrow(/truncated body/)
    const small = new BodyBuffer(3)
    expect(() => small.write(new Uint8Array(4))).toThrow(/trailing bytes/)
  })

  it('passes a refusal from reserve on, allocating nothing for it', () => {
    const buffer = new BodyBuffer(1024 * 1024, () => {
      throw new BorgError('busy', 'no room')
    })
    expect(() => buffer.write(new Uint8Array(1))).toThrow(BorgError)
  })
})
