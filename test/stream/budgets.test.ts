/**
 * Every accepted stream has a budget: bytes (unfinished + received), a number
 * of unfinished streams, the free disk; nothing is allocated up front; a
 * partial that made no progress for the stale time is removed (by the sweep
 * and at startup), freeing its share. Time is an injected clock.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { mkdir, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { BorgError } from '../../src/core/errors.js'
import { silentLogger } from '../../src/core/log.js'
import { STREAM_KIND, chunkSizeFor, offerBody, termsBody, type StreamOffer, type StreamProgress } from '../../src/core/stream/messages.js'
import { StreamReceiver } from '../../src/core/stream/receiver.js'
import { hashFile } from '../../src/core/stream/sender.js'
import { jsonMessage, readJson } from '../helpers/json-messages.js'
import { request } from '../../src/core/messaging/requests.js'
import type { Transport } from '../../src/core/wire/transport.js'
import { manualClock } from '../helpers/keys.js'
import { startNode } from '../helpers/wire.js'
import { closeAll, streamNode, tempDir, type StreamNode } from './harness.js'

afterAll(closeAll)

const MIB = 1024 * 1024
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** An offer of `size` random bytes (kept in a file nobody serves: its pulls fail). */
async function termsOf(size: number, chunkSize = 4096): Promise<Omit<StreamOffer, 'endpoint'>> {
  const path = join(await tempDir('borg-budget-src-'), 'x.bin')
  await writeFile(path, randomBytes(size))
  return hashFile(path, chunkSize)
}

/** The owner offers a stream to its own node, to be pulled from `source`; the reply or the error. */
async function offer(node: StreamNode, terms: Omit<StreamOffer, 'endpoint'>, source: string): Promise<StreamProgress | BorgError> {
  return request(node.owner.transport, { endpoint: node.node.endpoint }, jsonMessage(STREAM_KIND.offer, offerBody({ ...terms, endpoint: source }))).then(
    (r) => readJson<StreamProgress>(r),
    (e: BorgError) => e,
  )
}

async function failed(node: StreamNode, streamId: string): Promise<void> {
  for (let i = 0; i < 200 && !node.receiver.status(streamId)?.error; i++) await sleep(20)
  expect(node.receiver.status(streamId)?.status).toBe('failed')
}

const partial = (node: StreamNode) => join(node.dir, 'partial')

describe('stream budgets', () => {
  it('refuses what does not fit (quota, unfinished streams, free disk) with the numbers, before any file exists', async () => {
    const source = await startNode() // a member that serves nothing: every pull fails, streams stay unfinished
    const member = { id: source.id, endpoint: source.endpoint }
    let free = 10 * 1024 * MIB
    const node = await streamNode({ members: () => [member], limits: { quotaBytes: 100_000, maxStreams: 2 }, freeDisk: async () => free })
    const big = await termsOf(200_000)
    const refused = (await offer(node, big, source.endpoint)) as BorgError
    expect(refused).toBeInstanceOf(BorgError)
    expect(refused.code).toBe('refused')
    expect(refused.message).toContain('quota: the stream needs 200000 bytes; 0 of 100000 are taken (0 by 0 unfinished streams, 0 by received files)')
    expect(await readdir(partial(node))).toEqual([])

    const first = await termsOf(60_000)
    expect(await offer(node, first, source.endpoint)).toMatchObject({ status: 'pulling' })
    await failed(node, first.streamId)
    const over = (await offer(node, await termsOf(50_000), source.endpoint)) as BorgError
    expect(over.code).toBe('refused')
    expect(over.message).toContain('quota: the stream needs 50000 bytes; 60000 of 100000 are taken (60000 by 1 unfinished streams, 0 by received files)')
    const second = await termsOf(30_000)
    expect(await offer(node, second, source.endpoint)).toMatchObject({ status: 'pulling' })
    await failed(node, second.streamId)
    expect(((await offer(node, await termsOf(1000), source.endpoint)) as BorgError).message).toContain('streams: this node already has 2 unfinished streams (at most 2)')
    // Offering an unfinished stream again resumes it: no second share is taken.
    expect(await offer(node, first, source.endpoint)).toMatchObject({ status: 'pulling' })

    const roomy = await streamNode({ members: () => [member], freeDisk: async () => free })
    free = 64 * MIB + 10_000 // the margin and 10 kB
    expect(((await offer(roomy, await termsOf(20_000), source.endpoint)) as BorgError).message).toContain(
      `disk: the stream needs 20000 bytes and unfinished streams 0 more, but the disk has ${free} free (${64 * MIB} kept spare)`,
    )
    expect(await readdir(partial(roomy))).toEqual([])
  }, 30_000)

  it('counts received files, and frees their share when the owner moves them away', async () => {
    const sender = await streamNode()
    const node = await streamNode({ members: () => [sender.member], limits: { quotaBytes: 100_000 } })
    await node.owner.control(STREAM_KIND.allow, { key: sender.node.id })
    const path = join(await tempDir('borg-budget-src-'), 'kept.bin')
    await writeFile(path, randomBytes(70_000))
    const terms = await hashFile(path, 4096)
    await sender.owner.control(STREAM_KIND.send, { ...termsBody(terms), path, to: node.node.endpoint })
    for (let i = 0; i < 200 && !node.receiver.status(terms.streamId)?.done; i++) await sleep(20)
    const kept = node.receiver.status(terms.streamId)!.path!
    expect((await node.receiver.usage()).receivedBytes).toBe(70_000)
    const next = await termsOf(40_000)
    expect(((await offer(node, next, sender.node.endpoint)) as BorgError).message).toMatch(/quota: the stream needs 40000 bytes; 70000 of 100000 are taken/)
    await rm(kept)
    expect(await offer(node, next, sender.node.endpoint)).toMatchObject({ status: 'pulling' })
  }, 30_000)

  it('creates no file of the declared size: the part grows with what arrived', async () => {
    const sender = await streamNode()
    let served = 0
    const node = await streamNode({ members: () => [sender.member], pullTransport: (t) => failingAfter(t, 3, () => served++), attempts: 1 })
    await node.owner.control(STREAM_KIND.allow, { key: sender.node.id })
    const path = join(await tempDir('borg-budget-src-'), 'grow.bin')
    await writeFile(path, randomBytes(40 * 65536))
    const terms = await hashFile(path, 65536)
    await sender.owner.control(STREAM_KIND.send, { ...termsBody(terms), path, to: node.node.endpoint })
    await failed(node, terms.streamId)
    const part = await stat(join(partial(node), `${terms.streamId}.part`))
    expect(served).toBeGreaterThan(0)
    expect(part.size).toBeLessThanOrEqual(3 * 65536) // chunks 0-2 at most, never the 2.5 MiB declared
    expect(part.blocks * 512).toBeLessThanOrEqual(3 * 65536 + 65536)
  }, 30_000)

  it('picks a chunk size that keeps any offer within 65536 chunks', () => {
    expect(chunkSizeFor(0)).toBe(MIB)
    expect(chunkSizeFor(64 * 1024 * MIB)).toBe(MIB)
    expect(chunkSizeFor(64 * 1024 * MIB + 1)).toBe(2 * MIB)
    expect(chunkSizeFor(2 ** 40)).toBe(16 * MIB)
    expect(() => chunkSizeFor(2 ** 42 + 1)).toThrow(/more than 65536 chunks/)
  })
})

describe('stale partials', () => {
  it('are removed after the stale time without progress (injected clock), freeing their share', async () => {
    const clock = manualClock()
    const source = await startNode()
    const node = await streamNode({ clock, members: () => [{ id: source.id, endpoint: source.endpoint }], limits: { quotaBytes: 100_000, staleMs: 60_000 } })
    const stuck = await termsOf(60_000)
    await offer(node, stuck, source.endpoint)
    await failed(node, stuck.streamId)
    const files = async () => (await readdir(partial(node))).sort()
    expect(await files()).toEqual([`${stuck.streamId}.json`, `${stuck.streamId}.part`])
    const other = await termsOf(60_000)
    expect(((await offer(node, other, source.endpoint)) as BorgError).code).toBe('refused')
    clock.advance(59_999)
    expect(await node.receiver.sweep()).toEqual([])
    expect(await files()).toHaveLength(2)
    clock.advance(1)
    expect(await node.receiver.sweep()).toEqual([stuck.streamId])
    expect(await files()).toEqual([])
    expect(node.receiver.status(stuck.streamId)).toBeUndefined()
    expect(await offer(node, other, source.endpoint)).toMatchObject({ status: 'pulling' })
  }, 30_000)

  it('are found at startup: stale ones removed, the others hold their share again, stray files dropped', async () => {
    const clock = manualClock()
    const dir = await tempDir('borg-budget-restart-')
    const p = join(dir, 'partial')
    await mkdir(p, { recursive: true })
    const id = () => randomBytes(32).toString('hex')
    const state = (streamId: string, size: number, updatedAt: number) => JSON.stringify({ v: 1, streamId, size, chunkSize: 4096, total: Math.ceil(size / 4096), from: 'ed00', updatedAt, have: [0] })
    const [stale, fresh, orphanState, leftover] = [id(), id(), id(), id()]
    await writeFile(join(p, `${stale}.part`), randomBytes(4096))
    await writeFile(join(p, `${stale}.json`), state(stale, 50_000, clock.now() - 24 * 3600_000))
    await writeFile(join(p, `${fresh}.part`), randomBytes(4096))
    await writeFile(join(p, `${fresh}.json`), state(fresh, 30_000, clock.now() - 3600_000))
    await writeFile(join(p, `${orphanState}.json`), state(orphanState, 1000, clock.now())) // its part is gone
    await writeFile(join(p, `.${fresh}.json.0a1b2c.tmp`), 'half a write')
    await writeFile(join(p, `${leftover}.part`), randomBytes(100)) // a part without state, old
    await utimes(join(p, `${leftover}.part`), new Date(clock.now() - 25 * 3600_000), new Date(clock.now() - 25 * 3600_000))
    const receiver = new StreamReceiver({ dir, transport: undefined as unknown as Transport, log: silentLogger, clock, freeDisk: async () => 1e12 })
    await receiver.open()
    expect((await readdir(p)).sort()).toEqual([`${fresh}.json`, `${fresh}.part`].sort())
    expect(await receiver.usage()).toMatchObject({ unfinishedStreams: 1, unfinishedBytes: 30_000 })
    expect(receiver.counters.staleRemoved).toBe(2)
  })
})

/** Lets the first `n` pulls through, fails the others. */
function failingAfter(t: Transport, n: number, onServed: () => void): Transport {
  let passed = 0
  return {
    localId: t.localId,
    onMessage: (h) => t.onMessage(h),
    send(peer, message, options) {
      if (message.kind !== STREAM_KIND.pull) return t.send(peer, message, options)
      if (passed >= n) return options?.onResult?.(Object.assign(new Error('gone'), { code: 'unavailable' }) as never)
      passed++
      onServed()
      t.send(peer, message, options)
    },
  }
}
