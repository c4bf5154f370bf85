import { describe, expect } from 'vitest'
import { DEFAULT_EPOCH_MS } from '../../src/core/sim/simulator.js'
import { simIt } from './helpers.js'

describe('simulated clocks', () => {
  simIt('virtual time starts at the configured epoch', 1, ({ create }) => {
    expect(create().sim.now).toBe(DEFAULT_EPOCH_MS)
    const { sim } = create({ epochMs: 1000 })
    expect(sim.now).toBe(1000)
    sim.runFor(250)
    expect(sim.now).toBe(1250)
    expect(sim.elapsed).toBe(250)
    sim.run({ until: 2000 })
    expect(sim.now).toBe(2000)
  })

  simIt('now() carries the node offset plus drift over elapsed time; monotonic() only the drift', 2, ({ create }) => {
    const { sim, net } = create()
    const fast = net.addNode(undefined, { offsetMs: 250, driftPpm: 100 })
    const slow = net.addNode(undefined, { offsetMs: -40, driftPpm: -50 })
    const exact = net.addNode()
    expect(fast.clock.now() - sim.now).toBe(250)
    expect(exact.clock.now()).toBe(sim.now)
    sim.runFor(1_000_000) // 1000 s
    expect(fast.clock.error()).toBeCloseTo(250 + 100, 6)
    expect(slow.clock.error()).toBeCloseTo(-40 - 50, 6)
    expect(fast.clock.monotonic()).toBeCloseTo(1_000_100, 6)
    expect(slow.clock.monotonic()).toBeCloseTo(999_950, 6)
    expect(exact.clock.monotonic()).toBe(1_000_000)
    fast.clock.setOffset(-350)
    expect(fast.clock.error()).toBeCloseTo(0, 6)
    expect(fast.clock.offset).toBe(-350)
  })

  simIt('after(ms) fires when the node clock has advanced by ms, in scheduling order on ties', 3, ({ create }) => {
    const { sim, net } = create()
    const fast = net.addNode(undefined, { driftPpm: 1000 })
    const exact = net.addNode()
    let fastMonotonic = 0
    let fastTrue = 0
    fast.clock.after(10_000, () => ((fastMonotonic = fast.clock.monotonic()), (fastTrue = sim.elapsed)))
    const order: string[] = []
    exact.clock.after(5, () => order.push('a'))
    exact.clock.after(5, () => order.push('b'))
    exact.clock.after(0, () => order.push('zero'))
    const cancelled = exact.clock.after(5, () => order.push('cancelled'))
    cancelled.cancel()
    exact.clock.after(5, () => order.push('c'))
    sim.run()
    expect(order).toEqual(['zero', 'a', 'b', 'c'])
    expect(fastMonotonic).toBeCloseTo(10_000, 6)
    expect(fastTrue).toBeCloseTo(10_000 / 1.001, 6)
    cancelled.cancel() // harmless after the fact
    expect(() => exact.clock.after(Number.NaN, () => {})).toThrow(RangeError)
  })

  simIt('offset and drift belong to the machine (kept on restart); monotonic and timers to the process', 4, ({ create }) => {
    const { sim, net } = create()
    const node = net.addNode(undefined, { offsetMs: 70, driftPpm: 10 })
    let fired = 0
    node.clock.after(100, () => fired++)
    sim.runFor(50)
    const again = net.restart(node.id)
    sim.runFor(1000)
    expect(fired).toBe(0)
    expect(again.clock.error()).toBeCloseTo(70 + 10 * 1050 * 1e-6, 9)
    expect(again.clock.monotonic()).toBeCloseTo(1000 * (1 + 10e-6), 9)
  })
})
