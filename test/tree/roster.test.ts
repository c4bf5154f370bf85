/**
 * The roster's id → position index is built on the first lookup (a deputy's replica never looks
 * one up until it is promoted): a roster indexed from the start and one indexed only at the end
 * must answer every lookup alike, through joins, replacements, repairs (the last member moved into
 * a hole) and truncations.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { Roster, type RosterOp } from '../../src/core/tree/roster.js'
import type { Member } from '../../src/core/tree/types.js'

const member = (i: number): Member => ({ id: `ed${String(i).padStart(64, '0')}`, endpoint: `n${i}` })

/** A valid operation sequence from a list of choices, with the list it leaves (the model). */
function operations(choices: number[]): { ops: RosterOp[][]; model: Member[] } {
  const model: Member[] = []
  const ops: RosterOp[][] = []
  let next = 0
  for (const c of choices) {
    const kind = c % 4
    const size = model.length
    if (kind === 0 || size < 2) {
      const m = member(next++)
      model.push(m)
      ops.push([{ op: 'set', position: size + 1, member: m }])
    } else if (kind === 1) {
      const position = 1 + (c % size)
      const m = member(next++)
      model[position - 1] = m
      ops.push([{ op: 'set', position, member: m }])
    } else if (kind === 2) {
      // A repair (repair.ts): the tree shrinks by one and its last member fills a hole.
      const position = 1 + (c % (size - 1))
      const last = model.pop()!
      model[position - 1] = last
      ops.push([{ op: 'truncate', size: size - 1 }, { op: 'set', position, member: last }])
    } else {
      const size2 = Math.max(1, size - 1 - (c % 3))
      model.length = size2
      ops.push([{ op: 'truncate', size: size2 }])
    }
  }
  return { ops, model }
}

describe('roster', () => {
  it('answers lookups alike whether its index was built first or last', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(1000), { maxLength: 200 }), (choices) => {
        const { ops, model } = operations(choices)
        const eager = new Roster('t', { term: 1, seq: 0 }, 10, 3)
        const lazy = new Roster('t', { term: 1, seq: 0 }, 10, 3)
        eager.positionOf('nobody') // builds its index now: every operation keeps it up to date
        for (const batch of ops) {
          for (const op of batch) {
            eager.apply(op)
            lazy.apply(op)
          }
        }
        expect(lazy.size).toBe(model.length)
        for (let i = 0; i < model.length + 5; i++) {
          const id = member(i).id
          const expected = model.findIndex((m) => m.id === id)
          expect(lazy.positionOf(id)).toBe(expected < 0 ? undefined : expected + 1)
          expect(eager.positionOf(id)).toBe(lazy.positionOf(id))
        }
      }),
    )
  })

  it('refuses, once indexed, to place a member at a second position', () => {
    const roster = Roster.fromSnapshot('t', { term: 1, seq: 0 }, 10, 3, [member(0), member(1), member(2)])
    expect(roster.positionOf(member(1).id)).toBe(2)
    expect(() => roster.apply({ op: 'set', position: 3, member: member(1) })).toThrow(/already holds position 2/)
    expect(() => roster.apply({ op: 'set', position: 5, member: member(9) })).toThrow(/gap/)
  })
})
