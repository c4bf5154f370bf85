/** The per-cell reachability state machine (src/core/node/reachability.ts) with a scripted checker and a clock the test moves. */
import { describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/core/log.js'
import { FIRST_CHECK_MS, RECHECK_MS, Reachability, isLoopbackHost } from '../../src/core/node/reachability.js'
import type { DialbackChecker, DialbackOutcome, ReachabilityVerdict } from '../../src/core/node/dialback.js'
import type { Peer } from '../../src/core/wire/transport.js'

/** A clock whose timers fire only when the test runs them. */
function stepClock() {
  let now = 0
  const timers: { at: number; run: () => void; cancelled: boolean }[] = []
  return {
    now: () => now,
    monotonic: () => now,
    after(ms: number, run: () => void) {
      const timer = { at: now + ms, run, cancelled: false }
      timers.push(timer)
      return { cancel: () => void (timer.cancelled = true) }
    },
    /** The delay of the one pending timer (the state machine keeps at most one). */
    pending(): number | undefined {
      const live = timers.filter((t) => !t.cancelled)
      return live.length === 0 ? undefined : live[live.length - 1]!.at - now
    },
    async fire(): Promise<void> {
      const timer = timers.filter((t) => !t.cancelled).pop()!
      timer.cancelled = true
      now = timer.at
      timer.run()
      await new Promise((r) => setTimeout(r, 0))
    },
  }
}

const outcome = (reached: boolean, seenAs = '198.51.100.7', tried = true): DialbackOutcome => ({ peer: 'p', reached, tried, seenAs })

function machine(options: { bindHost?: string; neighbours?: Peer[]; verdicts?: ReachabilityVerdict[] } = {}) {
  const clock = stepClock()
  const asked: Peer[][] = []
  const verdicts = [...(options.verdicts ?? [])]
  const checker = { check: async (peers: Peer[]) => (asked.push(peers), verdicts.shift()!) } as unknown as DialbackChecker
  const reach = new Reachability({
    checker,
    clock,
    log: silentLogger,
    bindHost: options.bindHost ?? '0.0.0.0',
    port: 13350,
    advertised: () => ['198.51.100.7:13350'],
    neighbours: () => options.neighbours ?? [],
  })
  return { clock, reach, asked }
}

const peers = (n: number): Peer[] => Array.from({ length: n }, (_, i) => ({ endpoint: `n${i}:1`, id: `id${i}` }))

describe('Reachability', () => {
  it('a cell on loopback is private without asking anyone, and schedules nothing', () => {
    const { reach, clock } = machine({ bindHost: '127.0.0.1' })
    reach.start()
    expect(reach.status()).toMatchObject({ state: 'private', advertised: ['198.51.100.7:13350'] })
    expect(clock.pending()).toBeUndefined()
    expect(['127.0.0.1', '127.8.9.1', '::1', 'localhost'].every(isLoopbackHost)).toBe(true)
    expect(['0.0.0.0', '::', '10.0.0.1', '128.0.0.1'].some(isLoopbackHost)).toBe(false)
  })

  it('checks 10 s after start, asks at most 3 distinct neighbours, and checks again after 30 min', async () => {
    const neighbours = [...peers(4), peers(1)[0]!]
    const { reach, clock, asked } = machine({ neighbours, verdicts: [{ reachable: true, outcomes: [outcome(true), outcome(true), outcome(false)] }] })
    reach.start()
    expect(reach.status().state).toBe('unknown')
    expect(clock.pending()).toBe(FIRST_CHECK_MS)
    await clock.fire()
    expect(asked[0]!.map((p) => p.id)).toEqual(['id0', 'id1', 'id2'])
    expect(reach.status()).toMatchObject({ state: 'public', seenAs: '198.51.100.7' })
    expect(reach.status().reason).toContain('2 of 3')
    expect(clock.pending()).toBe(RECHECK_MS)
  })

  it('stays unknown with nobody to ask, or nobody who tried, and asks again 10 s later', async () => {
    const lonely = machine()
    lonely.reach.start()
    await lonely.clock.fire()
    expect(lonely.reach.status()).toMatchObject({ state: 'unknown', reason: 'no tree neighbour to ask yet' })
    expect(lonely.clock.pending()).toBe(FIRST_CHECK_MS)
    const unheard = machine({ neighbours: peers(2), verdicts: [{ reachable: undefined, outcomes: [outcome(false, undefined, false), outcome(false, undefined, false)] }] })
    unheard.reach.start()
    await unheard.clock.fire()
    expect(unheard.reach.status().state).toBe('unknown')
    expect(unheard.clock.pending()).toBe(FIRST_CHECK_MS)
  })

  it('private when the neighbours that tried could not reach it; a new seen address brings the next check forward', async () => {
    const { reach, clock } = machine({
      neighbours: peers(3),
      verdicts: [
        { reachable: false, outcomes: [outcome(false), outcome(false), outcome(true)] },
        { reachable: false, outcomes: [outcome(false, '203.0.113.9'), outcome(false, '203.0.113.9')] },
      ],
    })
    reach.start()
    await clock.fire()
    expect(reach.status()).toMatchObject({ state: 'private', seenAs: '198.51.100.7' })
    expect(clock.pending()).toBe(RECHECK_MS)
    await clock.fire()
    expect(reach.status().seenAs).toBe('203.0.113.9')
    expect(clock.pending()).toBe(FIRST_CHECK_MS)
  })

  it('stop cancels what is scheduled', () => {
    const { reach, clock } = machine({ neighbours: peers(1) })
    reach.start()
    reach.stop()
    expect(clock.pending()).toBeUndefined()
  })
})
