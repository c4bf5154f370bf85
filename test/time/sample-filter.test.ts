import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { SampleFilter, type Sample } from '../../src/core/time/sample-filter.js'

const sample = (offsetMs: number, boundMs: number, at: number, source = 'p'): Sample => ({ offsetMs, delayMs: 2 * boundMs, boundMs, at, source, stratum: 1 })

describe('the sample filter', () => {
  it('uses the offset of the shortest round trip, bounded by the farther edge of the samples\u2019 intersection', () => {
    const f = new SampleFilter(8, 100) // 100 ppm: 0.1 ms per s
    f.add({ ...sample(10, 2, 0), delayMs: 4 }, 0) // [8, 12]
    f.add({ ...sample(11.5, 2, 0), delayMs: 0.5 }, 0) // [9.5, 13.5], the quickest
    f.add({ ...sample(10.5, 2, 0), delayMs: 3 }, 0) // [8.5, 12.5]
    const e = f.estimate(0)!
    expect([e.lowMs, e.highMs, e.offsetMs]).toEqual([9.5, 12, 11.5])
    expect(f.boundFor(11.5, 0)).toBe(2)
    expect(f.boundFor(10.75, 0)).toBe(1.25) // the midpoint would be tighter, but at the mercy of the slowest samples
    // Both edges move out at the drift rate: the estimate stays, the bound grows.
    expect(f.estimate(10_000)!.offsetMs).toBeCloseTo(11.5)
    expect(f.boundFor(11.5, 10_000)).toBeCloseTo(3)
  })

  it('moves the quickest offset to where the bound is no looser than the tightest sample\u2019s', () => {
    const f = new SampleFilter(8, 0)
    f.add({ ...sample(10, 1, 0), delayMs: 2 }, 0) // [9, 11]: the tightest
    f.add({ ...sample(12, 3, 0), delayMs: 0.1 }, 0) // [9, 15]: quickest, but its parent was unsure
    const e = f.estimate(0)!
    expect([e.lowMs, e.highMs, e.offsetMs]).toEqual([9, 11, 10])
    expect(f.boundFor(e.offsetMs, 0)).toBe(1)
  })

  it('is never looser than its tightest sample, which names the source', () => {
    const f = new SampleFilter(8, 100)
    f.add(sample(10, 2, 0, 'old'), 0)
    f.add(sample(10.5, 3, 5_000, 'new'), 5_000)
    const e = f.estimate(5_000)!
    expect(e.tightest.source).toBe('old') // 2 + 0.5 < 3
    expect(f.boundFor(e.offsetMs, 5_000)).toBeLessThanOrEqual(2.5 + 1e-9)
  })

  it('keeps the last `capacity` samples', () => {
    const f = new SampleFilter(3, 0)
    for (let i = 0; i < 5; i++) f.add(sample(0, 10 - i, i), i)
    expect(f.size).toBe(3)
    f.add(sample(0, 100, 5), 5)
    expect(f.estimate(5)!.tightest.boundMs).toBe(6)
    expect(f.boundFor(0, 5)).toBe(6)
  })

  it('holds back a sample that misses the intersection, and restarts when the next one agrees with it', () => {
    const f = new SampleFilter(8, 0)
    f.add(sample(0, 1, 0), 0)
    expect(f.add(sample(50, 1, 1), 1)).toBe('outlier')
    expect(f.estimate(1)!.offsetMs).toBe(0)
    expect(f.add(sample(0.5, 1, 2), 2)).toBe('accepted') // agrees with the old: the outlier is forgotten
    expect(f.add(sample(50, 1, 3), 3)).toBe('outlier')
    expect(f.add(sample(50.5, 1, 4), 4)).toBe('restarted') // two in a row agree: time really moved
    expect(f.size).toBe(2)
    expect(f.estimate(4)!.offsetMs).toBe(50.5) // equal round trips: the newer
  })

  it('collapses to one sample holding the same intersection, and moves every sample when the local clock steps', () => {
    const f = new SampleFilter(8, 100)
    f.add(sample(5, 3, 0), 0)
    f.add(sample(6, 1, 1_000), 1_000)
    const before = f.estimate(2_000)!
    f.collapse(2_000)
    expect(f.size).toBe(1)
    const after = f.estimate(9_000)!
    const aged = f.estimate(2_000)!
    expect(aged.lowMs).toBeCloseTo(before.lowMs)
    expect(aged.highMs).toBeCloseTo(before.highMs)
    expect(after.highMs - after.lowMs).toBeCloseTo(before.highMs - before.lowMs + 2 * 0.7)
    f.shift(1000) // the local clock jumped 1 s ahead: network time is 1 s less ahead of it
    expect(f.estimate(2_000)!.offsetMs).toBeCloseTo(before.offsetMs - 1000)
    f.clear()
    expect(f.estimate(1)).toBeUndefined()
    expect(f.boundFor(0, 1)).toBe(Infinity)
  })

  it('property: with honest samples the estimate is always within its bound of the truth, and none is called an outlier', () => {
    const driftPpm = 200
    const arbitrary = fc.record({
      start: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      rate: fc.double({ min: -driftPpm, max: driftPpm, noNaN: true }),
      samples: fc.array(
        fc.record({
          gap: fc.double({ min: 0, max: 60_000, noNaN: true }),
          bound: fc.double({ min: 0.001, max: 100, noNaN: true }),
          where: fc.double({ min: -1, max: 1, noNaN: true }),
          newParent: fc.boolean(),
        }),
        { minLength: 1, maxLength: 40 },
      ),
      later: fc.double({ min: 0, max: 600_000, noNaN: true }),
    })
    fc.assert(
      fc.property(arbitrary, ({ start, rate, samples, later }) => {
        const truth = (t: number) => start + rate * 1e-6 * t // the true offset drifts at `rate`
        const f = new SampleFilter(8, driftPpm)
        let t = 0
        let applied = 0
        for (const s of samples) {
          t += s.gap
          if (s.newParent) f.collapse(t)
          expect(f.add(sample(truth(t) + s.where * s.bound, s.bound, t), t)).toBe('accepted')
          applied = f.estimate(t)!.offsetMs
          expect(Math.abs(applied - truth(t))).toBeLessThanOrEqual(f.boundFor(applied, t) + 1e-6)
          expect(f.boundFor(applied, t)).toBeLessThanOrEqual(s.bound + 1e-6) // never looser than the newest sample
        }
        const end = t + later
        expect(Math.abs(applied - truth(end))).toBeLessThanOrEqual(f.boundFor(applied, end) + 1e-6)
      }),
      { numRuns: 500 },
    )
  })
})
