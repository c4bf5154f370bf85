import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ReplayCache } from '../../src/core/envelope/replay-cache.js'

const W = 1_000 // the acceptance window of these tests: a message is checked only if |ts - now| <= W
const T0 = 1_700_000_000_000

describe('ReplayCache', () => {
  it('forgets entries once they are out of the window', () => {
    const cache = new ReplayCache({ retainMs: 1000, maxEntries: 100 })
    cache.commit('s', 'a', 0, 0)
    cache.commit('s', 'b', 500, 500)
    cache.prune(1200)
    expect(cache.check('s', 'a', 0)).toBe('fresh')
    expect(cache.check('s', 'b', 500)).toBe('seen')
    expect(cache.size).toBe(1)
  })

  it('property: with capacity c, any committed id is either seen or below its sender’s floor', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 10_000 })), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 20 }),
        (sent, capacity) => {
          const cache = new ReplayCache({ retainMs: 1e9, maxEntries: capacity })
          sent.forEach(([s, t], i) => cache.commit(`s${s}`, `k${i}`, t, 0))
          expect(cache.size).toBeLessThanOrEqual(capacity)
          sent.forEach(([s, t], i) => expect(cache.check(`s${s}`, `k${i}`, t)).not.toBe('fresh'))
        },
      ),
    )
  })

  it('refuses what a forgotten sender sent before, and accepts what it sends next', () => {
    const cache = new ReplayCache({ retainMs: 2 * W, maxEntries: 100, maxSenders: 2 })
    cache.commit('old', 'a', T0 + 500, T0)
    cache.commit('x', 'b', T0, T0)
    cache.commit('y', 'c', T0, T0) // a third sender: 'old' is the least recently active, so it is forgotten
    expect(cache.senders).toBe(2)
    expect(cache.check('old', 'a', T0 + 500)).toBe('below-floor')
    expect(cache.check('old', 'z', T0 + 501)).toBe('fresh')
  })

  const op = fc.oneof(
    fc.record({ kind: fc.constant('send' as const), sender: fc.integer({ min: 0, max: 6 }), id: fc.integer({ min: 0, max: 12 }), dt: fc.integer({ min: -W, max: W }) }),
    fc.record({ kind: fc.constant('abandon' as const), sender: fc.integer({ min: 0, max: 6 }), id: fc.integer({ min: 0, max: 12 }), dt: fc.integer({ min: -W, max: W }) }),
    fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: W }) }),
  )

  it('property: no replay is ever accepted, whatever is evicted, expired or forgotten, and memory stays bounded', () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 150 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        (ops, maxEntries, maxSenders, sketchBuckets) => {
          const cache = new ReplayCache({ retainMs: 2 * W, maxEntries, maxSenders, sketchBuckets })
          const accepted: { sender: string; id: string; ts: number }[] = []
          let now = T0
          for (const o of ops) {
            if (o.kind === 'tick') {
              now += o.ms
              continue
            }
            const sender = `s${o.sender}`
            const id = `m${o.id}`
            const ts = now + o.dt
            const verdict = cache.reserve(sender, id, ts)
            if (verdict === 'fresh') {
              const replayed = accepted.some((a) => a.sender === sender && a.id === id && a.ts === ts)
              expect(replayed, `replay of ${sender}/${id}@${ts} accepted`).toBe(false)
              if (o.kind === 'send') {
                cache.commit(sender, id, ts, now)
                accepted.push({ sender, id, ts })
              } else cache.release(sender, id)
            }
            expect(cache.size).toBeLessThanOrEqual(maxEntries)
            expect(cache.senders).toBeLessThanOrEqual(maxSenders)
            // Every accepted message still inside the window is refused if it comes again.
            for (const a of accepted) if (a.ts >= now - W) expect(cache.check(a.sender, a.id, a.ts)).not.toBe('fresh')
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  it("property: an honest sender's fresh message is accepted whatever another sender floods", () => {
    const flood = fc.array(fc.tuple(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: -W, max: W })), { maxLength: 40 })
    fc.assert(
      fc.property(
        fc.array(fc.record({ flood, honest: fc.boolean(), tick: fc.integer({ min: 0, max: 400 }) }), { maxLength: 60 }),
        fc.integer({ min: 8, max: 60 }),
        (steps, maxEntries) => {
          const cache = new ReplayCache({ retainMs: 2 * W, maxEntries, maxSenders: 2 })
          let now = T0
          let honestSent = 0
          for (const step of steps) {
            for (const [id, dt] of step.flood) {
              if (cache.reserve('flooder', `f${id}`, now + dt) === 'fresh') cache.commit('flooder', `f${id}`, now + dt, now)
            }
            // An honest sender sends little: a quarter of the cache over the whole run.
            if (step.honest && honestSent < maxEntries / 4) {
              const id = `h${honestSent++}`
              expect(cache.reserve('honest', id, now)).toBe('fresh')
              cache.commit('honest', id, now, now)
            }
            now += step.tick
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  it('a flood of fresh identities stays within the sender bound and leaves a busy honest sender alone', () => {
    const cache = new ReplayCache({ retainMs: 2 * W, maxEntries: 1000, maxSenders: 50 })
    let now = T0
    for (let i = 0; i < 5000; i++) {
      const sybil = `sybil${i}`
      if (cache.reserve(sybil, 'x', now + W) === 'fresh') cache.commit(sybil, 'x', now + W, now)
      if (i % 10 === 0) {
        // The honest sender stays active, so it is never the least recently active sender.
        expect(cache.reserve('honest', `h${i}`, now)).toBe('fresh')
        cache.commit('honest', `h${i}`, now, now)
        now += 1
      }
      expect(cache.senders).toBeLessThanOrEqual(50)
      expect(cache.size).toBeLessThanOrEqual(1000)
    }
  })
})
