/**
 * Network time where delays are tiny and symmetric: the error must stay under
 * 1 ms. First in the simulator (sub-millisecond links, one machine's clock
 * shared by every node but each process with its own wrong offset), then for
 * real over HTTPS on 127.0.0.1.
 */
import { waitUntil } from '../helpers/wait-until.js'
import { afterAll, describe, expect, it } from 'vitest'
import { simSeed, withSeedOnFailure } from '../../src/core/sim/seed.js'
import { SystemClock } from '../../src/core/time/system-clock.js'
import { MessageRouter } from '../../src/core/messaging/router.js'
import { cryptoRandom } from '../../src/core/crypto/random.js'
import type { View } from '../../src/core/tree/types.js'
import { silentLogger } from '../../src/core/log.js'
import { TimeOrgan } from '../../src/cells/crono/time-organ.js'
import { CronoOrganism, figuresTable, observe } from '../helpers/crono-sim.js'
import { startClient, startNode } from '../helpers/wire.js'

const LOOPBACK = { latencyMs: 0.1, jitterMs: 0.4 } // 0.1–0.5 ms each way

describe('network time on loopback-like links', () => {
  it('30 processes on one machine, offsets ±500 ms: every error under 1 ms and within its bound', () => {
    const seed = simSeed(81)
    let o: CronoOrganism | undefined
    withSeedOnFailure(
      seed,
      () => {
        // One machine: one oscillator, so one drift for all; each process starts with its own wrong offset.
        o = CronoOrganism.grow({ seed, nodes: 30, link: LOOPBACK, clock: (_i, random) => ({ offsetMs: (random.float() * 2 - 1) * 500, driftPpm: 37 }) })
        expect(o.runUntilConverged(30_000)).toBeLessThan(30_000)
        expect(o.runUntilSynced(10_000)).toBeLessThan(10_000)
        const seen = observe(o, 30_000)
        if (process.env.BORG_TIME_FIGURES) console.log(`loopback, shared clock\n${figuresTable(seen)}`)
        expect(seen.violations.slice(0, 10)).toEqual([])
        expect(Math.max(...seen.errors)).toBeLessThan(1)
      },
      () => o?.sim,
    )
  })

  it('independent clocks drifting ±100 ppm stay under 1 ms with a 500 ms interval', () => {
    const seed = simSeed(82)
    let o: CronoOrganism | undefined
    withSeedOnFailure(
      seed,
      () => {
        // Drift, not delay, dominates here: 200 ppm apart is 0.1 ms per 500 ms per hop (at the default 2 s, up to 0.4 ms per hop).
        o = CronoOrganism.grow({ seed, nodes: 30, link: LOOPBACK, clock: (_i, random) => ({ offsetMs: (random.float() * 2 - 1) * 500, driftPpm: (random.float() * 2 - 1) * 100 }), organ: { intervalMs: 500 } })
        expect(o.runUntilConverged(30_000)).toBeLessThan(30_000)
        expect(o.runUntilSynced(10_000)).toBeLessThan(10_000)
        const seen = observe(o, 30_000)
        if (process.env.BORG_TIME_FIGURES) console.log(`loopback, independent clocks, 500 ms interval\n${figuresTable(seen)}`)
        expect(seen.violations.slice(0, 10)).toEqual([])
        expect(Math.max(...seen.errors)).toBeLessThan(1)
      },
      () => o?.sim,
    )
  })
})

describe('network time over HTTPS on 127.0.0.1', () => {
  const closers: Array<() => Promise<void>> = []
  afterAll(async () => {
    await Promise.all(closers.map((close) => close()))
  })

  it('brings a process whose network time is 7 s off to within 1 ms of the root', async () => {
    const rootClock = new SystemClock()
    const childClock = new SystemClock()
    childClock.setOffset(7_000) // inside the envelopes' ±30 s window, far outside any bound
    const root = await startNode({ clock: rootClock })
    const child = startClient({ clock: childClock })
    closers.push(() => root.transport.close(), () => child.transport.close())
    const rootRouter = new MessageRouter()
    root.transport.onMessage(rootRouter.handle)
    const rootSelf = { id: root.id, endpoint: root.endpoint }
    const rootOrgan = new TimeOrgan({ net: rootRouter, transport: root.transport, clock: rootClock, random: cryptoRandom, log: silentLogger, self: rootSelf, tree: { state: 'root', view: undefined } })
    const childOrgan = new TimeOrgan(
      {
        net: new MessageRouter(),
        transport: child.transport,
        clock: childClock,
        random: cryptoRandom,
        log: silentLogger,
        self: { id: child.id, endpoint: 'client' },
        tree: { state: 'member', view: { parent: rootSelf } as View },
      },
      { intervalMs: 50, retryMs: 25 },
    )
    rootOrgan.start()
    childOrgan.start()
    try {
      await waitUntil('8 time samples over HTTPS', () => childOrgan.timeStatus().samples, (samples) => samples >= 8, { timeoutMs: 15_000, stepMs: 50 })
      const status = childOrgan.timeStatus()
      expect(status).toMatchObject({ synced: true, source: root.id, root: root.id, stratum: 1, samples: 8 })
      // Both clocks read the same Date.now(): the error is exactly the difference of the offsets.
      const error = Math.abs(childClock.offset - rootClock.offset)
      expect(error).toBeLessThanOrEqual(status.boundMs!)
      expect(error).toBeLessThanOrEqual(1)
      if (process.env.BORG_TIME_FIGURES) console.log(`https loopback: error ${error.toFixed(3)} ms, bound ${status.boundMs!.toFixed(3)} ms`)
    } finally {
      childOrgan.stop()
      rootOrgan.stop()
    }
  })
})
