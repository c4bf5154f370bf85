/**
 * The compact per-node structures (contact book, liveness) and the shared
 * member table behave as their Map-based originals did.
 */
import { describe, expect, it } from 'vitest'
import { SeededRandom } from '../../src/core/sim/seeded-random.js'
import { ContactBook } from '../../src/core/tree/contacts.js'
import { Liveness } from '../../src/core/tree/liveness.js'
import { MemberTable, idTag } from '../../src/core/tree/members.js'

const member = (i: number) => ({ id: `ed${String(i).padStart(64, '0')}`, endpoint: `n${i}` })

describe('ContactBook', () => {
  it('keeps distinct members up to its bound, updates endpoints in place, evicts deterministically', () => {
    const book = new ContactBook(4)
    for (let i = 0; i < 4; i++) book.add(member(i))
    book.add(member(0)) // known: no change
    book.add({ ...member(1), endpoint: 'elsewhere' })
    expect(book.all().map((m) => m.endpoint)).toEqual(['n0', 'elsewhere', 'n2', 'n3'])
    book.add(member(9), member(9).id) // self: ignored
    book.add({ id: 'x', endpoint: '' }) // no endpoint: ignored
    expect(book.size).toBe(4)
    const again = new ContactBook(4)
    for (let i = 0; i < 4; i++) again.add(member(i))
    book.add(member(4))
    again.add(member(4))
    expect(book.size).toBe(4)
    expect(book.all().map((m) => m.id)).toEqual(again.all().map((m) => m.id))
    expect(book.all().at(-1)!.id).toBe(member(4).id)
    book.remove(member(4).id)
    expect(book.all().map((m) => m.id)).not.toContain(member(4).id)
  })

  it("stores its own plain copies (never a caller's larger object)", () => {
    const book = new ContactBook(8)
    const placed = { ...member(1), position: 7 }
    book.add(placed)
    expect(book.all()[0]).toEqual(member(1))
    expect(book.all()[0]).not.toBe(placed)
  })

  it('draws distinct entries uniformly, never the excluded one', () => {
    const book = new ContactBook(64)
    for (let i = 0; i < 10; i++) book.add(member(i))
    const random = new SeededRandom('contacts')
    const seen = new Map<string, number>()
    for (let round = 0; round < 3000; round++) {
      const drawn = book.random(random, 3, member(5).id)
      expect(new Set(drawn.map((m) => m.id)).size).toBe(3)
      for (const m of drawn) {
        expect(m.id).not.toBe(member(5).id)
        seen.set(m.id, (seen.get(m.id) ?? 0) + 1)
      }
    }
    expect(seen.size).toBe(9)
    for (const count of seen.values()) expect(count).toBeGreaterThan(800) // 1000 expected each
    expect(book.random(random, 5, (m) => m.endpoint !== 'n2').map((m) => m.endpoint)).toEqual(['n2'])
    expect(new ContactBook(4).random(random, 3)).toEqual([])
  })

  it('draws exactly as a shrinking pool in insertion order (what the Map-based book did)', () => {
    const book = new ContactBook(64)
    for (let i = 0; i < 20; i++) book.add(member(i))
    const a = new SeededRandom(7)
    const b = new SeededRandom(7)
    for (let round = 0; round < 50; round++) {
      const exclude = member(round % 20).id
      const pool = book.all().filter((m) => m.id !== exclude)
      const expected = []
      while (expected.length < 4 && pool.length > 0) expected.push(pool.splice(b.int(pool.length), 1)[0]!)
      expect(book.random(a, 4, exclude)).toEqual(expected)
    }
  })
})

describe('Liveness', () => {
  it('suspects a peer silent beyond its adaptive timeout, within bounds', () => {
    const live = new Liveness(1000, 3000, 15000)
    live.watch('a', 0)
    expect(live.isSuspected('a', 2900)).toBe(false)
    expect(live.isSuspected('a', 3100)).toBe(true)
    for (let t = 1000; t <= 20_000; t += 1000) live.heard('a', t)
    expect(live.timeoutOf('a')).toBe(3000) // regular beats: the lower bound
    for (let t = 20_000; t <= 200_000; t += 12_000) live.heard('a', t)
    expect(live.timeoutOf('a')).toBe(15000) // slow beats: clamped at the upper bound
    expect(live.silence('b', 5)).toBe(Infinity)
    live.watch('b', 100)
    live.watch('c', 100)
    live.retain(new Set(['a', 'c']))
    expect(live.silence('b', 200)).toBe(Infinity)
    expect(live.silence('c', 200)).toBe(100)
    live.forget('c')
    expect(live.isSuspected('c', 10_000)).toBe(true) // unknown: silent forever
    live.clear()
    expect(live.silence('a', 0)).toBe(Infinity)
  })
})

describe('MemberTable', () => {
  it('hands out one frozen Member per (id, endpoint), Placed per position and Epoch per value', () => {
    const table = new MemberTable()
    const a = table.member(member(1).id, 'n1')
    expect(table.member(`${member(1).id}`, 'n1')).toBe(a)
    expect(Object.isFrozen(a)).toBe(true)
    const moved = table.member(member(1).id, 'n99')
    expect(moved).not.toBe(a)
    expect(moved.endpoint).toBe('n99')
    expect(table.id(`${member(1).id}`)).toBe(moved.id)
    expect(table.placed(moved, 3)).toBe(table.placed(moved, 3))
    expect(table.placed(table.member(member(2).id, 'n2'), 3).id).toBe(member(2).id)
    expect(table.epoch(1, 2)).toBe(table.epoch(1, 2))
    expect(table.epoch(1, 2)).toEqual({ term: 1, seq: 2 })
  })

  it('tags are equal for equal ids and small integers', () => {
    const id = member(123).id
    expect(idTag(id)).toBe(idTag(`${id}`))
    expect(Number.isInteger(idTag(id)) && idTag(id) >= 0 && idTag(id) < 2 ** 30).toBe(true)
    expect(idTag(member(124).id)).not.toBe(idTag(id))
  })
})
