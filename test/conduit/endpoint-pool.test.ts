/**
 * The conduit's endpoint pool (src/conduit/endpoint-pool.ts) on an injected
 * clock: ranking by latency and errors, registry updates, hedged reads (a
 * second node asked only when the first is slow, the first answer wins),
 * writes retried on the next node only when the request may not have arrived.
 */
import { describe, expect, it } from 'vitest'
import { BorgError } from '../../src/core/errors.js'
import { EndpointPool, MIN_HEDGE_MS, type CellEndpoint, type PoolClock } from '../../src/conduit/endpoint-pool.js'

function fakeClock() {
  let now = 0
  const timers: { at: number; fn: () => void; live: boolean }[] = []
  const clock: PoolClock = {
    now: () => now,
    after: (ms, fn) => {
      const t = { at: now + ms, fn, live: true }
      timers.push(t)
      return () => void (t.live = false)
    },
  }
  const advance = async (ms: number) => {
    now += ms
    for (const t of timers.filter((t) => t.live && t.at <= now)) {
      t.live = false
      t.fn()
    }
    await new Promise((r) => setImmediate(r))
  }
  return { clock, advance, set: (ms: number) => (now = ms) }
}

function deferred<T>() {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)))
  return { promise, resolve, reject }
}

function pool3(clock: PoolClock) {
  const pool = new EndpointPool(clock)
  pool.update(['a', 'b', 'c'].map((node) => ({ node, cells: [{ type: 'shard', recp: `${node}:1` }, { type: 'ledger', recp: `${node}:2` }] })))
  return pool
}

describe('EndpointPool', () => {
  it('ranks by latency, pushes failing nodes down, and follows the registry (keeping the pinned node)', () => {
    const { clock } = fakeClock()
    const pool = pool3(clock)
    pool.note('a', 'a:1', 80, true)
    pool.note('b', 'b:1', 10, true)
    pool.note('c', 'c:1', 40, true)
    expect(pool.ranked('shard').map((c) => c.node)).toEqual(['b', 'c', 'a'])
    pool.note('b', 'b:1', 0, false, new Error('reset'))
    pool.note('b', 'b:1', 0, false, new Error('reset'))
    expect(pool.ranked('shard').map((c) => c.node)).toEqual(['c', 'a', 'b'])
    pool.pin('p', [{ type: 'shard', recp: 'p:1' }])
    pool.update([{ node: 'a', cells: [{ type: 'shard', recp: 'a:9' }] }])
    expect(pool.ranked('shard').map((c) => `${c.node}@${c.endpoint}`).sort()).toEqual(['a@a:9', 'p@p:1'])
    expect(pool.ranked('ledger')).toEqual([])
    expect(pool.ranked('*').map((c) => c.node).sort()).toEqual(['a', 'p'])
  })

  it('lets old failures fade: a node that failed long ago is tried again', async () => {
    const { clock, advance } = fakeClock()
    const pool = pool3(clock)
    for (const n of ['a', 'b', 'c']) pool.note(n, `${n}:1`, 20, true)
    pool.note('a', 'a:1', 0, false, new Error('down'))
    expect(pool.ranked('shard')[0]!.node).not.toBe('a')
    await advance(10 * 60_000)
    expect(pool.costOf('a')).toBeCloseTo(20, 0)
  })

  it('a read asks one node when it answers in time', async () => {
    const { clock, advance } = fakeClock()
    const pool = pool3(clock)
    const asked: string[] = []
    const read = pool.read('shard', async (cell) => {
      asked.push(cell.node)
      return cell.node
    })
    await new Promise((r) => setImmediate(r)) // the answer is in before any time passes
    await advance(MIN_HEDGE_MS * 10)
    expect(await read).toBe(asked[0])
    expect(asked).toHaveLength(1)
  })

  it('a slow read is hedged to a second node after the hedge delay, and the first answer wins', async () => {
    const { clock, advance } = fakeClock()
    const pool = pool3(clock)
    for (const n of ['a', 'b', 'c']) pool.note(n, `${n}:1`, n === 'a' ? 50 : 60, true)
    const calls = new Map<string, ReturnType<typeof deferred<string>>>()
    const read = pool.read('shard', (cell: CellEndpoint) => {
      const d = deferred<string>()
      calls.set(cell.node, d)
      return d.promise
    })
    expect([...calls.keys()]).toEqual(['a'])
    await advance(pool.hedgeDelay('a') - 1)
    expect([...calls.keys()]).toEqual(['a'])
    await advance(1)
    expect([...calls.keys()]).toEqual(['a', 'b'])
    calls.get('b')!.resolve('from b')
    expect(await read).toBe('from b')
    calls.get('a')!.resolve('late a')
    expect(pool.attempts.findLast((x) => x.node === 'b')!.hedged).toBe(true)
  })

  it('a failing read moves on at once; a final answer (not found) is not asked elsewhere', async () => {
    const { clock } = fakeClock()
    const pool = pool3(clock)
    const asked: string[] = []
    const value = await pool.read('shard', async (cell) => {
      asked.push(cell.node)
      if (asked.length < 3) throw new BorgError('unavailable', 'gone')
      return 'third'
    })
    expect(value).toBe('third')
    expect(asked).toHaveLength(3)
    const finalAsked: string[] = []
    await expect(pool.read('shard', async (cell) => {
      finalAsked.push(cell.node)
      throw new BorgError('not-found', 'no such file')
    })).rejects.toThrow('no such file')
    expect(finalAsked).toHaveLength(1)
  })

  it('a write goes to one node at a time, the same request to the next when the last may not have got it', async () => {
    const { clock } = fakeClock()
    const pool = pool3(clock)
    const seen: { node: string; id: string }[] = []
    const id = 'block-1234'
    const result = await pool.write('ledger', async (cell) => {
      seen.push({ node: cell.node, id })
      if (seen.length === 1) throw new Error('socket hang up')
      return `applied ${id} at ${cell.node}`
    })
    expect(seen.map((s) => s.id)).toEqual([id, id])
    expect(new Set(seen.map((s) => s.node)).size).toBe(2)
    expect(result).toBe(`applied ${id} at ${seen[1]!.node}`)
    let tries = 0
    await expect(pool.write('ledger', async () => {
      tries++
      throw new BorgError('refused', 'insufficient balance')
    })).rejects.toThrow('insufficient balance')
    expect(tries).toBe(1)
    await expect(pool.write('ledger', async () => {
      throw new BorgError('timeout', 'slow')
    })).rejects.toThrow('slow')
    await expect(pool.write('mail', async () => 1)).rejects.toThrow(/no live mail cell/)
  })
})
