/**
 * Test helpers for simulation tests: every test runs from a seed (its default,
 * or BORG_SIM_SEED), and a failing test reports that seed plus the tail of the
 * trace of the last simulator it built.
 */
import { it } from 'vitest'
import { Simulator, type SimulatorOptions } from '../../src/core/sim/simulator.js'
import { SimNetwork, type SimNetworkOptions } from '../../src/core/sim/sim-network.js'
import { simSeed, withSeedOnFailure } from '../../src/core/sim/seed.js'

export interface SimContext {
  readonly seed: number | string
  /** A simulator (tracing by default) and network on this test's seed. */
  create(simOptions?: SimulatorOptions, netOptions?: SimNetworkOptions): { sim: Simulator; net: SimNetwork }
}

export function simIt(name: string, defaultSeed: number | string, body: (ctx: SimContext) => void | Promise<void>, timeoutMs?: number): void {
  it(
    name,
    () => {
      const seed = simSeed(defaultSeed)
      let last: Simulator | undefined
      const ctx: SimContext = {
        seed,
        create(simOptions = {}, netOptions = {}) {
          const sim = new Simulator({ seed, trace: true, ...simOptions })
          last = sim
          return { sim, net: new SimNetwork(sim, netOptions) }
        },
      }
      return withSeedOnFailure(seed, () => body(ctx), () => last)
    },
    timeoutMs,
  )
}
