/** The pooled OS randomness: right lengths, never the same bytes twice, uniform enough, floats in [0, 1). */
import { describe, expect, it } from 'vitest'
import { cryptoRandom } from '../../src/core/crypto/random.js'

describe('cryptoRandom', () => {
  it('hands out fresh bytes of the length asked, across pool refills and for large requests', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 2000; i++) {
      const id = cryptoRandom.bytes(16)
      expect(id.length).toBe(16)
      const hex = Buffer.from(id).toString('hex')
      expect(seen.has(hex)).toBe(false)
      seen.add(hex)
    }
    expect(cryptoRandom.bytes(0).length).toBe(0)
    const big = cryptoRandom.bytes(100_000)
    expect(big.length).toBe(100_000)
    expect(new Set(big).size).toBe(256)
  })

  it('bytes handed out are independent copies', () => {
    const a = cryptoRandom.bytes(32)
    const before = Buffer.from(a)
    cryptoRandom.bytes(4096) // refill the pool
    cryptoRandom.bytes(32)
    expect(Buffer.from(a).equals(before)).toBe(true)
  })

  it('spreads bytes and floats evenly', () => {
    const counts = new Array<number>(256).fill(0)
    for (let i = 0; i < 500; i++) for (const b of cryptoRandom.bytes(64)) counts[b]!++
    // 32,000 bytes: each value ~125 times; a stuck or biased generator falls far outside.
    for (const c of counts) expect(c > 60 && c < 200).toBe(true)
    const floats = Array.from({ length: 10_000 }, () => cryptoRandom.float())
    for (const f of floats) expect(f >= 0 && f < 1).toBe(true)
    const low = floats.filter((f) => f < 0.5).length
    expect(low > 4700 && low < 5300).toBe(true)
    for (let i = 0; i < 1000; i++) {
      const n = cryptoRandom.int(7)
      expect(Number.isInteger(n) && n >= 0 && n < 7).toBe(true)
    }
  })
})
