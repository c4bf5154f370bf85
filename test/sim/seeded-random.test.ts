import { describe, expect, it } from 'vitest'
import { SeededRandom } from '../../src/core/sim/seeded-random.js'

const draw = (r: SeededRandom, n: number) => Array.from({ length: n }, () => r.uint32())

describe('SeededRandom', () => {
  it('is a pure function of its seed', () => {
    expect(draw(new SeededRandom(42), 100)).toEqual(draw(new SeededRandom(42), 100))
    expect(draw(new SeededRandom('borg'), 10)).toEqual(draw(new SeededRandom('borg'), 10))
    expect(draw(new SeededRandom(42), 10)).not.toEqual(draw(new SeededRandom(43), 10))
    expect(draw(new SeededRandom(2 ** 40), 10)).not.toEqual(draw(new SeededRandom(0), 10))
    expect(new SeededRandom(7).bytes(37)).toEqual(new SeededRandom(7).bytes(37))
  })

  it('forks independent streams that do not depend on the parent state or on other forks', () => {
    const a = new SeededRandom(1)
    const first = draw(a.fork('node:1'), 20)
    const b = new SeededRandom(1)
    draw(b, 1000) // drawing from the parent...
    b.fork('node:0') // ...or adding another consumer...
    expect(draw(b.fork('node:1'), 20)).toEqual(first) // ...changes nothing for this one
    expect(draw(a.fork('node:2'), 20)).not.toEqual(first)
    expect(draw(a.fork('node:1').fork('x'), 20)).not.toEqual(first)
  })

  it('draws in range and roughly uniformly', () => {
    const r = new SeededRandom(3)
    const buckets = new Array<number>(10).fill(0)
    const n = 100_000
    let min = 1
    let max = 0
    for (let i = 0; i < n; i++) {
      const f = r.float()
      min = Math.min(min, f)
      max = Math.max(max, f)
      buckets[r.int(10)]!++
    }
    expect(min).toBeGreaterThanOrEqual(0)
    expect(max).toBeLessThan(1)
    // Chi-square with 9 degrees of freedom: 27.9 is the 0.1% critical value.
    const chi = buckets.reduce((sum, count) => sum + (count - n / 10) ** 2 / (n / 10), 0)
    expect(chi).toBeLessThan(27.9)
    expect(r.int(1)).toBe(0)
    const big = r.int(2 ** 40)
    expect(Number.isInteger(big) && big >= 0 && big < 2 ** 40).toBe(true)
    expect(() => r.int(0)).toThrow(RangeError)
    expect(() => r.int(1.5)).toThrow(RangeError)
  })
})
