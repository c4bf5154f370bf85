/**
 * The pieces of healing on an injected clock or a scripted transport: the
 * member view (refresh, stale lists, departures), the corruption report
 * budget, the rank check, a store's recheck, and member lists fetched past
 * a dead root.
 */
import { describe, expect, it } from 'vitest'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { jsonMessage } from '../helpers/json-messages.js'
import type { Incoming, Outgoing } from '../../src/core/wire/message.js'
import type { Peer, SendOptions, Transport } from '../../src/core/wire/transport.js'
import { BorgError } from '../../src/core/errors.js'
import { rankHolders, ranksAmong } from '../../src/core/storage/placement.js'
import { fetchMemberList, type MembersReply } from '../../src/core/tree/member-list.js'
import { MemberView } from '../../src/core/tree/member-view.js'
import { RecheckBudget } from '../../src/core/storage/recheck-budget.js'
import { ChunkStore } from '../../src/cells/shard/chunk-store.js'
import { manualClock } from '../helpers/keys.js'

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

describe('the member view', () => {
  const a = { id: 'ed' + 'a'.repeat(64), endpoint: '127.0.0.1:1' }
  const b = { id: 'ed' + 'b'.repeat(64), endpoint: '127.0.0.1:2' }
  const c = { id: 'ed' + 'c'.repeat(64), endpoint: '127.0.0.1:3' }
  const list = (seq: number, members: (typeof a)[], treeId = 't1') => ({ treeId, epoch: { term: 1, seq }, members, source: 'root' as const })

  it('refetches a list older than its refresh interval, and keeps the last one when a fetch fails', async () => {
    const clock = manualClock()
    const answers: (() => Promise<ReturnType<typeof list>>)[] = [async () => list(1, [a, b]), async () => Promise.reject(new BorgError('unavailable', 'the root is gone'))]
    let fetches = 0
    const view = new MemberView({ fetch: () => answers[fetches++]!(), clock, refreshMs: 30_000 })
    expect(await view.list()).toEqual([a, b])
    clock.advance(29_000)
    expect(await view.list()).toEqual([a, b])
    expect(fetches).toBe(1)
    clock.advance(2_000)
    // Stale: fetched again, which fails, and the last list is what callers get.
    expect(await view.list()).toEqual([a, b])
    expect(fetches).toBe(2)
  })

  it('says who left and joined the same tree, ignores older lists and never counts another tree as deaths', async () => {
    const clock = manualClock()
    const queue = [list(1, [a, b, c]), list(2, [a, c]), list(1, [a, b, c]), list(1, [a], 't2')]
    const asked: unknown[] = []
    const view = new MemberView({ fetch: async (since) => (asked.push(since), queue.shift()!), clock })
    expect(await view.refresh()).toBeUndefined()
    expect(await view.refresh()).toEqual({ left: [b], joined: [], before: [a, b, c] })
    expect(asked[1]).toEqual({ treeId: 't1', epoch: { term: 1, seq: 1 } })
    // A lagging copy (seq 1 < 2) does not bring b back.
    expect(await view.refresh()).toBeUndefined()
    expect(view.byId(b.id)).toBeUndefined()
    // Another tree (an orphan's own, say): no departures, though c is not in it.
    expect(await view.refresh()).toBeUndefined()
    expect(view.current?.treeId).toBe('t2')
    // `full` asks without `since`.
    queue.push(list(3, [a], 't2'))
    await view.refresh({ full: true })
    expect(asked.at(-1)).toBeUndefined()
  })

  it('takes an unchanged answer as fresh', async () => {
    const clock = manualClock()
    let fetches = 0
    const view = new MemberView({ fetch: async () => (fetches++ === 0 ? list(1, [a]) : { unchanged: true as const }), clock, refreshMs: 1_000 })
    await view.list()
    clock.advance(1_500)
    await view.list()
    expect(view.ageMs).toBe(0)
    expect(await view.list()).toEqual([a])
    expect(fetches).toBe(2)
  })
})

describe('the corruption report budget', () => {
  it('re-hashes a chunk once per cooldown and at most perWindow chunks per window', () => {
    const clock = manualClock()
    const budget = new RecheckBudget(clock, { perWindow: 3, windowMs: 10_000, cooldownMs: 60_000 })
    expect(budget.take('h1')).toBe('check')
    expect(budget.take('h1')).toBe('recent')
    expect(['h2', 'h3', 'h4'].map((h) => budget.take(h))).toEqual(['check', 'check', 'busy'])
    clock.advance(10_000)
    expect(budget.take('h4')).toBe('check')
    expect(budget.take('h1')).toBe('recent')
    clock.advance(50_000)
    expect(budget.take('h1')).toBe('check')
  })
})

describe('ranksAmong', () => {
  it('agrees with the full ranking', () => {
    const ids = Array.from({ length: 12 }, () => 'ed' + randomBytes(32).toString('hex'))
    for (let k = 0; k < 50; k++) {
      const chunk = randomBytes(32).toString('hex')
      const ranked = rankHolders(chunk, ids)
      for (const n of [0, 1, 3, 12]) for (const id of ids) expect(ranksAmong(chunk, id, ids, n)).toBe(ranked.slice(0, n).includes(id))
    }
  })
})

describe('ChunkStore.recheck', () => {
  it('keeps a good copy, drops a bad one even when it was verified a moment ago', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'borg-recheck-'))
    try {
      const store = new ChunkStore({ dir, quotaBytes: 1 << 20, verifiedTtlMs: 600_000 })
      await store.open()
      const bytes = randomBytes(5000)
      const hash = sha(bytes)
      await store.put(hash, bytes)
      expect(await store.recheck(hash)).toBe('good')
      const path = join(dir, 'chunks', hash.slice(0, 2), hash)
      const bad = Buffer.from(bytes)
      bad[7]! ^= 1
      await writeFile(path, bad)
      // Within the verified TTL a read serves the bad bytes without hashing; a recheck does not.
      expect(Buffer.from((await store.get(hash))!).equals(bad)).toBe(true)
      expect(await store.recheck(hash)).toBe('dropped')
      expect(await store.has(hash)).toBe(false)
      expect(await store.recheck(hash)).toBe('absent')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

/** A transport that answers `<kind>` requests per endpoint from a script (no network). */
function scriptedTransport(script: Record<string, (body: Record<string, unknown>) => MembersReply | Error>): Transport & { asked: string[] } {
  const asked: string[] = []
  return {
    localId: 'ed' + '0'.repeat(64),
    asked,
    onMessage() {},
    send(peer: Peer, message: Outgoing, options?: SendOptions) {
      const body = JSON.parse(Buffer.from(message.body ?? new Uint8Array()).toString()) as Record<string, unknown>
      asked.push(`${peer.endpoint} ${JSON.stringify(body)}`)
      const answer = script[peer.endpoint]?.(body) ?? new BorgError('unavailable', 'connection refused')
      queueMicrotask(() => {
        if (answer instanceof Error) return options?.onResult?.(answer as BorgError)
        const reply = jsonMessage(`${message.kind}.reply`, answer)
        options?.onResult?.(null, { ...reply, fromHex: peer.id ?? '' } as unknown as Incoming)
      })
    },
  }
}

describe('member lists past a dead root', () => {
  const m = (n: number) => ({ id: `ed${String(n).repeat(64)}`, endpoint: `127.0.0.1:${n}` })
  const members = [m(1), m(2), m(3)]

  it('asks the deputies for their replica when the root does not answer, then the entry for its last list', async () => {
    const viaDeputy = scriptedTransport({
      entry: () => ({ root: m(1), deputies: [m(2), m(3)] }),
      '127.0.0.1:2': () => new BorgError('unavailable', 'connection refused'),
      '127.0.0.1:3': (body) => (body.any ? { treeId: 't', epoch: { term: 1, seq: 4 }, members, source: 'replica' } : { root: m(1) }),
    })
    expect(await fetchMemberList(viaDeputy, 'shard.members', { endpoint: 'entry' })).toMatchObject({ members, source: 'replica' })
    expect(viaDeputy.asked).toEqual(['entry {}', '127.0.0.1:1 {}', '127.0.0.1:2 {"any":true}', '127.0.0.1:3 {"any":true}'])

    const viaEntry = scriptedTransport({ entry: (body) => (body.any ? { members, source: 'cached' } : { root: m(1), deputies: [m(2)] }) })
    expect(await fetchMemberList(viaEntry, 'shard.members', { endpoint: 'entry' })).toMatchObject({ members, source: 'cached' })

    await expect(fetchMemberList(scriptedTransport({ entry: () => ({ root: m(1) }) }), 'shard.members', { endpoint: 'entry' })).rejects.toMatchObject({ code: 'unavailable' })
  })

  it('passes an unchanged answer through', async () => {
    const since = { treeId: 't', epoch: { term: 1, seq: 4 } }
    const t = scriptedTransport({ entry: (body) => (JSON.stringify(body.since) === JSON.stringify(since) ? { unchanged: true, ...since } : { members }) })
    expect(await fetchMemberList(t, 'shard.members', { endpoint: 'entry' }, { since })).toMatchObject({ unchanged: true })
  })
})

