import { describe, expect, it } from 'vitest'
import { PartsInTransit, partsOf } from '../../src/core/tree/snapshot-parts.js'

const members = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `ed${String(i).padStart(64, '0')}`, endpoint: `n${i}` }))
const epoch = { term: 2, seq: 7 }

describe('snapshot parts', () => {
  it('cuts a snapshot into runs of the part size, the last one shorter', () => {
    const all = members(7)
    const parts = partsOf(all, 3)
    expect(parts.map((p) => p.length)).toEqual([3, 3, 1])
    expect(parts.flat()).toEqual(all)
    expect(partsOf(all, 7)).toEqual([all])
  })

  it('puts the parts of one sender, tree and epoch back together in any order, each part once', () => {
    const all = members(10)
    const parts = partsOf(all, 4)
    const transit = new PartsInTransit('root', 'tree', epoch, parts.length)
    expect(transit.matches('root', 'tree', { term: 2, seq: 7 }, 3)).toBe(true)
    expect(transit.matches('other', 'tree', epoch, 3)).toBe(false)
    expect(transit.matches('root', 'tree', { term: 2, seq: 8 }, 3)).toBe(false)
    expect(transit.matches('root', 'tree', epoch, 4)).toBe(false)
    expect(transit.add(2, parts[2]!)).toBe(true)
    expect(transit.add(0, parts[0]!)).toBe(true)
    expect(transit.add(0, parts[0]!)).toBe(false)
    expect(transit.complete).toBe(false)
    expect(transit.add(1, parts[1]!)).toBe(true)
    expect(transit.complete).toBe(true)
    expect(transit.whole()).toEqual(all)
  })
})
