/** Periodic work on the injected clock: never overlapping, jittered within its bounds, surviving failures, stopping for good. */
import { describe, expect, it } from 'vitest'
import { Periodic } from '../../src/core/time/periodic.js'
import { SeededRandom } from '../../src/core/sim/seeded-random.js'
import type { Clock } from '../../src/core/wire/clock.js'

/** A clock moved by hand; timers fire in order as it passes them. */
class HandClock implements Clock {
  private t = 0
  private timers: { at: number; fn: () => void; live: boolean }[] = []
  now = () => this.t
  monotonic = () => this.t
  after(ms: number, fn: () => void) {
    const timer = { at: this.t + ms, fn, live: true }
    this.timers.push(timer)
    return { cancel: () => void (timer.live = false) }
  }
  get pending(): number {
    return this.timers.filter((x) => x.live).length
  }
  /** Advance by `ms`, firing due timers and letting the promises they start settle. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms
    for (let i = 0; i < 10; i++) await Promise.resolve()
    for (;;) {
      const due = this.timers.filter((x) => x.live && x.at <= end).sort((a, b) => a.at - b.at)[0]
      if (!due) break
      this.t = due.at
      due.live = false
      due.fn()
      for (let i = 0; i < 10; i++) await Promise.resolve()
    }
    this.t = end
  }
}

describe('Periodic', () => {
  it('runs every period after the last run ends, never two at once', async () => {
    const clock = new HandClock()
    const starts: number[] = []
    let inFlight = 0
    let release: (() => void) | undefined
    const p = new Periodic({
      clock,
      everyMs: 100,
      run: () => {
        starts.push(clock.now())
        inFlight++
        expect(inFlight).toBe(1)
        return new Promise<void>((resolve) => (release = () => ((inFlight--, resolve()))))
      },
      onError: () => {},
    })
    p.start()
    p.start() // idempotent
    await clock.advance(99)
    expect(starts).toEqual([])
    await clock.advance(1)
    expect(starts).toEqual([100])
    await clock.advance(500) // the run is still going: nothing else starts
    expect(starts).toEqual([100])
    release!()
    await clock.advance(100)
    expect(starts).toEqual([100, 700])
    p.stop()
    release!()
    await clock.advance(1000)
    expect(starts).toEqual([100, 700])
    expect(clock.pending).toBe(0)
  })

  it('keeps going after a failed run, and reports it', async () => {
    const clock = new HandClock()
    const errors: string[] = []
    let runs = 0
    const p = new Periodic({ clock, everyMs: 10, run: async () => {
        if (runs++ % 2 === 0) throw new Error(`run ${runs}`)
      },
      onError: (e) => errors.push(e.message) })
    p.start()
    await clock.advance(50)
    expect(runs).toBe(5)
    expect(errors).toEqual(['run 1', 'run 3', 'run 5'])
    p.stop()
  })

  it('draws each wait within period × (1 ± fraction)', async () => {
    const clock = new HandClock()
    const starts: number[] = []
    const p = new Periodic({ clock, everyMs: 1000, jitter: { random: new SeededRandom(7), fraction: 0.2 }, run: async () => void starts.push(clock.now()), onError: () => {} })
    p.start()
    await clock.advance(100_000)
    p.stop()
    const gaps = starts.map((t, i) => t - (starts[i - 1] ?? 0))
    expect(gaps.length).toBeGreaterThan(80)
    for (const gap of gaps) expect(gap >= 800 && gap <= 1200).toBe(true)
    expect(new Set(gaps.map((g) => Math.round(g))).size).toBeGreaterThan(20)
  })
})
