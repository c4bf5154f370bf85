import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ROUNDING_MS, agedBound, delayOf, exchangeBound, offsetOf, type Exchange } from '../../src/core/time/ntp.js'

const EPOCH = 1_700_000_000_000

/**
 * One exchange as it really happens. Times are network time ("truth"); the
 * child's local clock is truth − trueOffset (+ its drift since t3), the
 * parent's network clock is truth + parentError (+ its drift since t1).
 */
interface World {
  trueOffset: number
  forwardMs: number
  backwardMs: number
  holdMs: number
  parentError: number
  childDriftPpm: number
  parentDriftPpm: number
  /** Each reading's truncation, as a fraction of the resolution. */
  cuts: [number, number, number, number]
  resolutionMs: number
}

function exchange(w: World): { e: Exchange; parentBoundMs: number } {
  const start = EPOCH + 12_345.678
  const received = start + w.forwardMs
  const sent = received + w.holdMs
  const back = sent + w.backwardMs
  // The child's clock is exactly trueOffset behind network time at t3 and drifts away before.
  const child = (t: number) => t - w.trueOffset + (w.childDriftPpm * 1e-6) * (t - back)
  const parent = (t: number) => t + w.parentError + (w.parentDriftPpm * 1e-6) * (t - received)
  const cut = (value: number, i: number) => value - w.cuts[i]! * w.resolutionMs
  const e = { t0: cut(child(start), 0), t1: cut(parent(received), 1), t2: cut(parent(sent), 2), t3: cut(child(back), 3) }
  // The parent's stated bound must hold at both of its readings.
  const parentBoundMs = Math.max(Math.abs(w.parentError), Math.abs(w.parentError + (w.parentDriftPpm * 1e-6) * w.holdMs))
  return { e, parentBoundMs }
}

const world = (options: { drift?: boolean; resolution?: boolean } = {}) =>
  fc.record({
    trueOffset: fc.double({ min: -1e9, max: 1e9, noNaN: true }),
    forwardMs: fc.double({ min: 0, max: 10_000, noNaN: true }),
    backwardMs: fc.double({ min: 0, max: 10_000, noNaN: true }),
    holdMs: fc.double({ min: 0, max: 1_000, noNaN: true }),
    parentError: fc.double({ min: -500, max: 500, noNaN: true }),
    childDriftPpm: options.drift ? fc.double({ min: -200, max: 200, noNaN: true }) : fc.constant(0),
    parentDriftPpm: options.drift ? fc.double({ min: -200, max: 200, noNaN: true }) : fc.constant(0),
    cuts: fc.tuple(...[0, 1, 2, 3].map(() => (options.resolution ? fc.double({ min: 0, max: 0.999999, noNaN: true }) : fc.constant(0)))) as fc.Arbitrary<[number, number, number, number]>,
    resolutionMs: options.resolution ? fc.constantFrom(0.001, 1, 15.625) : fc.constant(0),
  })

/** Epoch-sized doubles are spaced 2.4e-4 ms apart: the bound's own rounding slack. */
const SLACK = ROUNDING_MS

describe('one NTP exchange', () => {
  it('recovers the offset exactly when the two ways take equally long', () => {
    const e = { t0: 1000, t1: 1510, t2: 1512, t3: 1022 } // 10 ms each way, 2 ms hold, parent 500 ms ahead
    expect(offsetOf(e)).toBe(500)
    expect(delayOf(e)).toBe(20)
    expect(exchangeBound(e, { parentBoundMs: 0, driftPpm: 0, resolutionMs: 0 })).toBe(10 + ROUNDING_MS)
  })

  it('is off by exactly δ/2 when the whole delay is one way: the bound cannot be smaller', () => {
    const { e } = exchange({ trueOffset: 250, forwardMs: 40, backwardMs: 0, holdMs: 1, parentError: 0, childDriftPpm: 0, parentDriftPpm: 0, cuts: [0, 0, 0, 0], resolutionMs: 0 })
    expect(Math.abs(offsetOf(e) - 250 - delayOf(e) / 2)).toBeLessThan(SLACK)
  })

  it('property: θ is within δ/2 + the parent bound of the truth, for any asymmetry', () => {
    fc.assert(
      fc.property(world(), (w) => {
        const { e, parentBoundMs } = exchange(w)
        const error = Math.abs(offsetOf(e) - w.trueOffset)
        expect(error).toBeLessThanOrEqual(delayOf(e) / 2 + parentBoundMs + SLACK)
        expect(error).toBeLessThanOrEqual(exchangeBound(e, { parentBoundMs, driftPpm: 0, resolutionMs: 0 }))
      }),
      { numRuns: 2000 },
    )
  })

  it('property: the bound also holds with drifting clocks and truncated readings', () => {
    fc.assert(
      fc.property(world({ drift: true, resolution: true }), (w) => {
        const { e, parentBoundMs } = exchange(w)
        const bound = exchangeBound(e, { parentBoundMs, driftPpm: 200, resolutionMs: w.resolutionMs })
        expect(Math.abs(offsetOf(e) - w.trueOffset)).toBeLessThanOrEqual(bound)
      }),
      { numRuns: 2000 },
    )
  })

  it('clamps a round trip that drift made look negative', () => {
    const e = { t0: 0, t1: 100, t2: 100.5, t3: 0.4 }
    expect(delayOf(e)).toBeCloseTo(-0.1)
    expect(exchangeBound(e, { parentBoundMs: 0, driftPpm: 0, resolutionMs: 0 })).toBe(ROUNDING_MS)
  })

  it('ages a bound by the drift rate, never shrinking it', () => {
    expect(agedBound(10, 1_000_000, 100)).toBeCloseTo(110)
    expect(agedBound(10, -5, 100)).toBe(10)
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 1e9, noNaN: true }), fc.double({ min: 0, max: 1e9, noNaN: true }), (bound, a, b) => {
        expect(agedBound(bound, Math.min(a, b), 200)).toBeLessThanOrEqual(agedBound(bound, Math.max(a, b), 200))
      }),
    )
  })
})
