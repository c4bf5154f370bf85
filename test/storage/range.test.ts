import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { parseRange } from '../../src/client/range-server.js'

describe('parseRange', () => {
  it('reads the forms players send', () => {
    expect(parseRange(undefined, 100)).toBeUndefined()
    expect(parseRange('bytes=0-', 100)).toEqual({ start: 0, end: 99 })
    expect(parseRange('bytes=10-19', 100)).toEqual({ start: 10, end: 19 })
    expect(parseRange('bytes=90-200', 100)).toEqual({ start: 90, end: 99 }) // clipped to the file
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 }) // the last 10
    expect(parseRange('bytes=-500', 100)).toEqual({ start: 0, end: 99 })
    expect(parseRange('bytes=5-9, 20-30', 100)).toEqual({ start: 5, end: 9 }) // first of several
  })

  it('answers unsatisfiable ranges with 416 and ignores malformed ones', () => {
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable')
    expect(parseRange('bytes=20-10', 100)).toBe('unsatisfiable')
    expect(parseRange('bytes=-0', 100)).toBe('unsatisfiable')
    expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable')
    expect(parseRange('items=0-5', 100)).toBeUndefined()
    expect(parseRange('bytes=-', 100)).toBeUndefined()
  })

  it('property: a satisfiable range always lies inside the file', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), fc.integer({ min: 0, max: 1e9 }), (header, size) => {
        const r = parseRange(`bytes=${header}`, size)
        if (r && r !== 'unsatisfiable') {
          expect(r.start).toBeGreaterThanOrEqual(0)
          expect(r.end).toBeLessThan(size)
          expect(r.start).toBeLessThanOrEqual(r.end)
        }
      }),
    )
  })
})
