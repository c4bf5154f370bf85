import { describe, expect, it } from 'vitest'
import { LocalStepDetector } from '../../src/core/time/local-steps.js'

describe('local clock step detection', () => {
  it('reports a step of the wall clock against the monotonic clock, once', () => {
    const d = new LocalStepDetector(5)
    expect(d.check(1_000_000, 0)).toBe(0) // anchors
    expect(d.check(1_001_000.9, 1_000)).toBe(0) // reading noise
    expect(d.check(1_002_000 + 3_600_000, 2_000)).toBe(3_600_000) // someone set the clock an hour ahead
    expect(d.check(1_003_000 + 3_600_000, 3_000)).toBe(0)
  })

  it('catches slow divergence once it adds up, and starts over after reset', () => {
    const d = new LocalStepDetector(5)
    d.check(0, 0)
    expect(d.check(1_003, 1_000)).toBe(0)
    expect(d.check(2_006, 2_000)).toBe(6)
    d.reset()
    expect(d.check(10_000, 0)).toBe(0)
  })
})
