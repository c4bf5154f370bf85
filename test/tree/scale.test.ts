import { describe, expect, it } from 'vitest'
import { SimOrganism } from '../helpers/tree-sim.js'

describe('1000 nodes', () => {
  it('join storm converges', () => {
    const o = new SimOrganism({ seed: 7, nodes: 1000, maxChildren: 10, link: { latencyMs: 10, jitterMs: 5 } })
    const started = performance.now()
    o.add([])
    for (let i = 1; i < 1000; i++) o.add([o.sim.random.int(Math.max(1, i))])
    const t = o.runUntilConverged(120_000, undefined, 1000)
    console.log('converged in', t, 'virtual ms;', (performance.now() - started).toFixed(0), 'wall ms; events', o.sim.metrics.events, 'violations', o.violations().slice(0, 5))
    expect(o.violations()).toEqual([])
  })
})
