import { describe, expect, it } from 'vitest'
import { waitFor, waitUntil } from './wait-until.js'

describe('waitUntil', () => {
  it('returns the first reading that is done, with how many readings it took', async () => {
    let n = 0
    const waited = await waitUntil('n to reach 3', () => ++n, (value) => value >= 3, { stepMs: 1 })
    expect([waited.value, waited.readings]).toEqual([3, 3])
  })

  it('fails saying what it waited for and what it saw last', async () => {
    let n = 0
    await expect(waitUntil('n to reach 100', () => ++n, (value) => value >= 100, { timeoutMs: 0, stepMs: 1 })).rejects.toThrow(/waiting for n to reach 100; last seen: 5$/)
  })

  it('takes at least minReadings readings before the deadline counts (a starved process has not really waited)', async () => {
    let n = 0
    await expect(waitUntil('never', () => ++n, () => false, { timeoutMs: 0, stepMs: 1, minReadings: 7 })).rejects.toThrow(/\(7 readings\)/)
    expect(n).toBe(7)
  })

  it('keeps reading past errors and reports the last one', async () => {
    let n = 0
    const flaky = async () => {
      if (++n < 3) throw new Error(`not yet (${n})`)
      return n
    }
    expect((await waitUntil('a reading', flaky, () => true, { stepMs: 1 })).value).toBe(3)
    await expect(waitUntil('a reading', () => Promise.reject(new Error('refused')), () => true, { timeoutMs: 0, stepMs: 1 })).rejects.toThrow(/nothing was read; the last reading failed: refused/)
  })
})

describe('waitFor', () => {
  it('waits until the probe returns something', async () => {
    let n = 0
    expect((await waitFor('a value', () => (++n >= 2 ? 'here' : undefined), 10_000, 1)).value).toBe('here')
  })
})
