import { describe, expect, it } from 'vitest'
import { BroadcastMemory } from '../../src/core/tree/broadcaster.js'
import { SeededRandom } from '../../src/core/sim/seeded-random.js'
import type { Broadcast } from '../../src/core/tree/messages.js'

const broadcast = (bid: string): Broadcast => ({ treeId: 't', bid, origin: 'o', kind: 'k', body: '', bodyType: 0, hops: 1, at: 0, sig: '' })

describe('BroadcastMemory', () => {
  it('sees an id once until it expires, in the small arrays and in the Map beyond 16 ids', () => {
    const m = new BroadcastMemory(1000, 64)
    for (let i = 0; i < 40; i++) {
      expect(m.firstSight(broadcast(`b${i}`), i)).toBe(true)
      for (let j = 0; j <= i; j++) expect(m.has(`b${j}`)).toBe(true)
      expect(m.firstSight(broadcast(`b${i}`), i)).toBe(false)
    }
    expect(m.stats.duplicates).toBe(40)
    m.prune(1019) // b0 … b19 expired (expiry = sight + 1000)
    expect(m.has('b19')).toBe(false)
    expect(m.has('b20')).toBe(true)
    expect(m.firstSight(broadcast('b3'), 1019)).toBe(true) // forgotten: seen anew
  })

  it('matches a plain model of (id, expiry) over random sightings and prunes, both below and above the small bound', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = new SeededRandom(seed)
      const m = new BroadcastMemory(500, 64)
      const model = new Map<string, number>()
      let now = 0
      for (let step = 0; step < 3000; step++) {
        now += random.int(20)
        if (random.int(10) === 0) {
          m.prune(now)
          for (const [id, expires] of model) if (expires <= now) model.delete(id)
          continue
        }
        const id = `b${random.int(seed * 12)}`
        const expected = !model.has(id)
        expect(m.firstSight(broadcast(id), now)).toBe(expected)
        if (expected) model.set(id, now + 500)
      }
    }
  })
})
