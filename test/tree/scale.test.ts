import { describe, expect, it } from 'vitest'
import { simSeed, withSeedOnFailure } from '../../src/core/sim/seed.js'
import { SimOrganism } from '../helpers/tree-sim.js'

describe('1000 nodes', () => {
  it('join storm converges', () => {
    const seed = simSeed(7)
    let o: SimOrganism | undefined
    withSeedOnFailure(
      seed,
      () => {
        o = new SimOrganism({ seed, nodes: 1000, maxChildren: 10, link: { latencyMs: 10, jitterMs: 5 } })
        o.add([])
        for (let i = 1; i < 1000; i++) o.add([o.sim.random.int(Math.max(1, i))])
        expect(o.runUntilConverged(120_000, undefined, 1000)).toBeLessThan(120_000)
        expect(o.violations()).toEqual([])
      },
      () => o?.sim,
    )
  })
})
