import { describe, expect, it } from 'vitest'
import { EventQueue, type EventSink } from '../../src/core/sim/event-queue.js'
import { SeededRandom } from '../../src/core/sim/seeded-random.js'

const sink: EventSink = { onEvent() {}, describe: () => '' }

describe('EventQueue', () => {
  it('pops in (time, insertion order) and cancels exactly the referenced event, against a sorted reference', () => {
    const random = new SeededRandom(11)
    const queue = new EventQueue(4) // small, to exercise growth
    const reference: { time: number; seq: number; id: number }[] = []
    const refs = new Map<number, number>()
    let seq = 0
    const popped: number[] = []
    const expected: number[] = []
    for (let round = 0; round < 20_000; round++) {
      const op = random.int(10)
      if (op < 5) {
        const time = random.int(100) // many equal times: order must fall back to insertion
        const id = seq++
        refs.set(id, queue.push(time, sink, id, undefined, undefined))
        reference.push({ time, seq: id, id })
      } else if (op < 7 && reference.length > 0) {
        const victim = reference.splice(random.int(reference.length), 1)[0]!
        if (!queue.cancel(refs.get(victim.id)!)) throw new Error(`cancel of pending ${victim.id} failed`)
        if (queue.cancel(refs.get(victim.id)!)) throw new Error(`stale handle ${victim.id} cancelled something`)
      } else if (reference.length > 0) {
        reference.sort((a, b) => a.time - b.time || a.seq - b.seq)
        const next = reference.shift()!
        expected.push(next.id)
        const slot = queue.pop()
        popped.push(queue.code(slot))
        if (queue.poppedTime !== next.time) throw new Error(`popped time ${queue.poppedTime}, expected ${next.time}`)
        queue.release(slot)
        if (queue.cancel(refs.get(next.id)!)) throw new Error(`fired event ${next.id} cancelled`)
      }
      if (queue.size !== reference.length) throw new Error(`size ${queue.size}, expected ${reference.length}`)
    }
    expect(popped).toEqual(expected)
  })
  it('keeps the order through a compaction (more than half the entries cancelled)', () => {
    const random = new SeededRandom(12)
    const queue = new EventQueue(4)
    const kept: number[] = []
    for (let id = 0; id < 6_000; id++) {
      const ref = queue.push(random.int(500), sink, id, undefined, undefined)
      if (random.int(10) < 6) expect(queue.cancel(ref)).toBe(true)
      else kept.push(id)
    }
    const popped: { time: number; id: number }[] = []
    while (queue.size > 0) {
      const slot = queue.pop()
      popped.push({ time: queue.poppedTime, id: queue.code(slot) })
      queue.release(slot)
    }
    expect(popped.map((p) => p.id).sort((a, b) => a - b)).toEqual(kept)
    // Pushed in id order: equal times pop in id order.
    for (let i = 1; i < popped.length; i++) {
      const [a, b] = [popped[i - 1]!, popped[i]!]
      expect(a.time < b.time || (a.time === b.time && a.id < b.id)).toBe(true)
    }
  })
})
