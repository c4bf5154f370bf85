import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { pullWindow } from '../../src/core/stream/pull-window.js'

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms))

function source(options: { failures?: Map<number, number>; delay?: (i: number) => number } = {}) {
  let inFlight = 0
  let most = 0
  const asked: [number, number][] = []
  return {
    asked,
    most: () => most,
    fetch: async (i: number, attempt: number) => {
      asked.push([i, attempt])
      inFlight++
      most = Math.max(most, inFlight)
      await tick(options.delay?.(i) ?? 0)
      inFlight--
      if (attempt < (options.failures?.get(i) ?? 0)) throw new Error(`chunk ${i} attempt ${attempt} lost`)
      return Uint8Array.of(i)
    },
  }
}

describe('pullWindow (the DStream pull engine)', () => {
  it('ordered: hands chunks over in index order whatever order they arrive in, never more than the window in flight', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 25 }), fc.integer({ min: 1, max: 6 }), async (delays, window) => {
        const src = source({ delay: (i) => delays[i]! })
        const got: number[] = []
        await pullWindow({ indexes: delays.map((_, i) => i), window, attempts: 1, ordered: true, fetch: src.fetch, deliver: (i, b) => void got.push(i, b[0]!) })
        expect(got).toEqual(delays.flatMap((_, i) => [i, i]))
        expect(src.most()).toBeLessThanOrEqual(window)
      }),
      { numRuns: 40 },
    )
  })

  it('retries a failed chunk with the next attempt number (the next holder), and fails after the last one', async () => {
    const src = source({ failures: new Map([[1, 2]]) })
    const got: number[] = []
    await pullWindow({ indexes: [0, 1, 2], window: 2, attempts: 3, ordered: true, fetch: src.fetch, deliver: (i) => void got.push(i) })
    expect(got).toEqual([0, 1, 2])
    expect(src.asked.filter(([i]) => i === 1).map(([, a]) => a)).toEqual([0, 1, 2])
    const failing = source({ failures: new Map([[1, 9]]) })
    await expect(pullWindow({ indexes: [0, 1, 2], window: 2, attempts: 3, ordered: false, fetch: failing.fetch, deliver: () => {} })).rejects.toThrow(/chunk 1 failed 3 time/)
  })

  it('unordered: delivers as chunks arrive and asks a failed one again after the others', async () => {
    const src = source({ failures: new Map([[0, 1]]) })
    const got: number[] = []
    await pullWindow({ indexes: [0, 1, 2, 3], window: 1, attempts: 2, ordered: false, fetch: src.fetch, deliver: (i) => void got.push(i) })
    expect(got).toEqual([1, 2, 3, 0])
    expect(src.asked).toEqual([[0, 0], [1, 0], [2, 0], [3, 0], [0, 1]])
  })

  it('unordered with onLost: a chunk out of attempts (its own count) is reported and the others still arrive', async () => {
    const src = source({ failures: new Map([[1, 9]]) })
    const got: number[] = []
    const lost: [number, number][] = []
    await pullWindow({ indexes: [0, 1, 2], window: 2, attempts: (i) => i + 1, ordered: false, fetch: src.fetch, deliver: (i) => void got.push(i), onLost: (i, errors) => void lost.push([i, errors.length]) })
    expect(got.sort()).toEqual([0, 2])
    expect(lost).toEqual([[1, 2]])
  })

  it('stops at a delivery that fails (a full disk) and reports it', async () => {
    const src = source()
    const got: number[] = []
    const pull = pullWindow({ indexes: [0, 1, 2, 3, 4, 5], window: 1, attempts: 1, ordered: false, fetch: src.fetch, deliver: (i) => {
      if (i === 2) throw new Error('ENOSPC')
      got.push(i)
    } })
    await expect(pull).rejects.toThrow('ENOSPC')
    expect(got).toEqual([0, 1])
  })

  it('makes no new requests once cancelled', async () => {
    const src = source()
    let stop = false
    await pullWindow({ indexes: [0, 1, 2, 3, 4, 5, 6, 7], window: 2, attempts: 1, ordered: true, cancelled: () => stop, fetch: src.fetch, deliver: (i) => void (stop = i === 1) })
    expect(src.asked.length).toBeLessThanOrEqual(4)
  })
})
