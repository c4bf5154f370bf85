/**
 * The node's inbound budgets over real in-process HTTPS (port 0): bytes in
 * flight per node and per connection, requests per connection, the upload
 * rate floor (with an injected clock), and what a refused sender gets back.
 * Attackers are raw TLS connections that send exactly what the test says.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { BorgError } from '../../src/core/errors.js'
import { sealToBytes } from '../../src/core/envelope/seal.js'
import { InboundBudget, inboundLimitsFromEnv, type InboundLimits } from '../../src/core/net/inbound-budget.js'
import { parseEndpoint } from '../../src/core/net/endpoint.js'
import type { Clock, Timer } from '../../src/core/wire/clock.js'
import { binaryMessage, jsonMessage } from '../helpers/json-messages.js'
import { cryptoRandom } from '../../src/core/crypto/random.js'
import type { Responder } from '../../src/core/wire/transport.js'
import { deliver } from '../../src/core/messaging/requests.js'
import { RawConnection, announce, postHead } from '../../scripts/lib/raw-wire.js'
import { testSigner } from '../helpers/keys.js'
import { startClient, startNode } from '../helpers/wire.js'

const KiB = 1024
const MiB = 1024 * 1024
const attacker = testSigner()
const closers: Array<() => Promise<void> | void> = []
afterAll(async () => {
  for (const close of closers.reverse()) await close()
})

/** Real time for envelope timestamps; timers fire only when the test advances. */
class TestClock implements Clock {
  private offset = 0
  private timers: { at: number; fn: () => void; cancelled: boolean }[] = []
  now(): number {
    return Date.now() + this.offset
  }
  monotonic(): number {
    return this.offset
  }
  after(ms: number, fn: () => void): Timer {
    const timer = { at: this.offset + ms, fn, cancelled: false }
    this.timers.push(timer)
    return { cancel: () => void (timer.cancelled = true) }
  }
  advance(ms: number): void {
    this.offset += ms
    const due = this.timers.filter((t) => !t.cancelled && t.at <= this.offset)
    this.timers = this.timers.filter((t) => !due.includes(t))
    for (const t of due) t.fn()
  }
}

async function node(limits: Partial<InboundLimits>, clock?: Clock) {
  const budget = new InboundBudget(limits)
  const server = await startNode({ budget, clock })
  closers.push(() => server.transport.close())
  const { host, port } = parseEndpoint(server.endpoint)
  const connect = async () => {
    const c = await RawConnection.connect(host, port)
    closers.push(() => c.destroy())
    return c
  }
  return { server, budget, connect }
}

async function until(what: string, condition: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** An answer within `ms`, or 'no answer' (the old server would wait for a body that never comes). */
async function answerWithin(c: RawConnection, ms = 3_000) {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'no answer'>((resolve) => (timer = setTimeout(() => resolve('no answer'), ms)))
  const answer = await Promise.race([c.answer(), timeout])
  clearTimeout(timer)
  return answer
}

/** Start a POST that announces `bodyLength` and send `sent` bytes of it. */
async function startBody(c: RawConnection, bodyLength: number, sent: number, timestamp = Date.now()) {
  const header = announce(attacker, { kind: 'test.blob', bodyLength, timestamp })
  await c.write(postHead(header.length + bodyLength))
  await c.write(header)
  if (sent > 0) await c.write(new Uint8Array(sent))
}

describe('inbound budget', () => {
  it('reads environment overrides and rejects nonsense', () => {
    expect(inboundLimitsFromEnv({ BORG_INBOUND_MAX: '1G', BORG_UPLOAD_MIN_RATE: '0', BORG_INBOUND_CONN_REQUESTS: '2' })).toMatchObject({
      nodeBytes: 1024 * MiB,
      minBytesPerSecond: 0,
      connectionRequests: 2,
    })
    expect(() => inboundLimitsFromEnv({ BORG_INBOUND_CONN_REQUESTS: '0' })).toThrow(BorgError)
    expect(() => inboundLimitsFromEnv({ BORG_INBOUND_MAX: 'lots' })).toThrow(BorgError)
  })

  it('does not allocate announced bodies up front: 8 bodies announcing 60 MiB and sending 100 KiB cost about what arrived', async () => {
    const { server, budget, connect } = await node({ minBytesPerSecond: 0, nodeBytes: 1024 * MiB })
    const before = process.memoryUsage().arrayBuffers
    const conns = await Promise.all(Array.from({ length: 8 }, () => connect()))
    for (const c of conns) await startBody(c, 60 * MiB, 100 * KiB)
    await until('the bodies to arrive', () => server.transport.serverStats!.bodyBytes >= 8 * 100 * KiB)
    const grown = process.memoryUsage().arrayBuffers - before
    // Up front, this would be 480 MiB; growing with the data it is a few hundred KiB per body.
    expect(grown).toBeLessThan(32 * MiB)
    expect(budget.inUse).toBeLessThanOrEqual(8 * 256 * KiB)
    for (const c of conns) c.destroy()
    await until('the budget to be returned', () => budget.inUse === 0)
  })

  it('answers a body beyond the node budget with a signed busy that gives the numbers, and never holds more than the budget', async () => {
    const { server, budget, connect } = await node({ nodeBytes: 3 * MiB, minBytesPerSecond: 0 })
    const first = await connect()
    await startBody(first, 2 * MiB, 1536 * KiB)
    await until('the first body to arrive', () => server.transport.serverStats!.bodyBytes >= 1536 * KiB)
    const second = await connect()
    await startBody(second, 2 * MiB, 0)
    const answer = await answerWithin(second)
    expect(answer).toMatchObject({ status: 503, code: 'busy' })
    expect((answer as { message: string }).message).toMatch(/2\.0 MiB of its 3\.0 MiB inbound budget/)
    await second.closed
    expect(budget.stats().peak).toBeLessThanOrEqual(3 * MiB)
    expect(server.transport.verifier.rejected.busy).toBe(1)
  })

  it('cuts a body when the budget runs out while it arrives', async () => {
    const { server, budget, connect } = await node({ nodeBytes: 2560 * KiB, minBytesPerSecond: 0 })
    const a = await connect()
    const b = await connect()
    // Both fit when they start; together they outgrow the budget as their buffers double.
    await startBody(a, 1536 * KiB, 600 * KiB)
    await startBody(b, 1536 * KiB, 600 * KiB)
    await until('both bodies to arrive', () => server.transport.serverStats!.bodyBytes >= 1200 * KiB)
    await a.write(new Uint8Array(600 * KiB))
    await b.write(new Uint8Array(600 * KiB))
    // The one that asked for room last is refused; the other keeps going.
    const first = await Promise.race([answerWithin(a), answerWithin(b)])
    expect(first).toMatchObject({ status: 503, code: 'busy' })
    expect(budget.stats().peak).toBeLessThanOrEqual(2560 * KiB)
  })

  it('a real client gets busy (retryable) from a full node, not a hang or a reset', async () => {
    const { server, connect } = await node({ nodeBytes: 1 * MiB, minBytesPerSecond: 0 })
    server.transport.onMessage(() => {})
    const hog = await connect()
    await startBody(hog, 1 * MiB, 700 * KiB)
    await until('the hog to arrive', () => server.transport.serverStats!.bodyBytes >= 700 * KiB)
    const client = startClient()
    closers.push(() => client.transport.close())
    const error = await deliver(client.transport, { endpoint: server.endpoint }, binaryMessage('test.blob', new Uint8Array(8 * MiB))).catch((e) => e)
    expect(error).toBeInstanceOf(BorgError)
    expect(error.code).toBe('busy')
    expect(error.retryable).toBe(true)
  })

  it('refuses a body larger than one connection may hold with too-large, before reading it', async () => {
    const { connect } = await node({ connectionBytes: 1 * MiB, minBytesPerSecond: 0 })
    const c = await connect()
    await startBody(c, 3 * MiB, 0)
    expect(await answerWithin(c)).toMatchObject({ status: 413, code: 'too-large' })
  })

  it('limits requests in progress on one connection (pipelining) and bytes held by one connection', async () => {
    const { server, connect } = await node({ connectionRequests: 2, connectionBytes: 1 * MiB, minBytesPerSecond: 0 })
    const held: Responder[] = []
    server.transport.onMessage((_m, r) => r && held.push(r))
    const request = (body: Uint8Array) =>
      sealToBytes(attacker, { kind: 'test.hold', body }, { expectsReply: true, timestamp: Date.now(), random: cryptoRandom })
    const c = await connect()
    for (let i = 0; i < 3; i++) {
      const bytes = request(new Uint8Array(10))
      await c.write(postHead(bytes.length))
      await c.write(bytes)
    }
    await until('two requests at the handler', () => held.length === 2)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(held.length).toBe(2) // the third never reached the handler
    for (const r of held.splice(0)) r.reply(jsonMessage('test.ok', {}))
    expect(await answerWithin(c)).toMatchObject({ status: 200 })
    expect(await answerWithin(c)).toMatchObject({ status: 200 })
    expect(await answerWithin(c)).toMatchObject({ status: 503, code: 'busy' })

    // Bytes: a 600 KiB body waiting for its answer leaves no room for a second one on the same connection.
    const d = await connect()
    for (let i = 0; i < 2; i++) {
      const bytes = request(new Uint8Array(600 * KiB).fill(i))
      await d.write(postHead(bytes.length))
      await d.write(bytes)
    }
    await until('the first big request at the handler', () => held.length === 1)
    held[0]!.reply(jsonMessage('test.ok', {}))
    expect(await answerWithin(d)).toMatchObject({ status: 200 })
    const second = await answerWithin(d)
    expect(second).toMatchObject({ status: 503, code: 'busy' })
    expect((second as { message: string }).message).toMatch(/this connection already has 600\.0 KiB/)
  })

  it('gives back what pipelined requests held when their connection drops before they are answered', async () => {
    const { server, budget, connect } = await node({ minBytesPerSecond: 0 })
    let held = 0
    server.transport.onMessage(() => void held++) // never answers
    const c = await connect()
    for (let i = 0; i < 3; i++) {
      const bytes = sealToBytes(attacker, { kind: 'test.hold', body: new Uint8Array(300 * KiB) }, { expectsReply: true, timestamp: Date.now(), random: cryptoRandom })
      await c.write(postHead(bytes.length))
      await c.write(bytes)
    }
    await until('three requests at the handler', () => held === 3)
    expect(budget.inUse).toBeGreaterThanOrEqual(900 * KiB)
    c.destroy()
    await until('the budget to be returned', () => budget.inUse === 0)
  })

  it('cuts a body that arrives slower than the floor for a whole window (injected clock), and keeps one that keeps up', async () => {
    const clock = new TestClock()
    const { server, budget, connect } = await node({ minBytesPerSecond: 1 * KiB, rateWindowMs: 10_000 }, clock)
    const received = () => server.transport.serverStats!.bodyBytes
    const slow = await connect()
    const steady = await connect()
    await startBody(slow, 1 * MiB, 5 * KiB, clock.now())
    await startBody(steady, 1 * MiB, 12 * KiB, clock.now())
    await until('both starts to arrive', () => received() >= 17 * KiB)
    clock.advance(10_000) // grace over: slow sent 5 KiB of the 10 KiB the floor asks for
    const cut = await answerWithin(slow)
    expect(cut).toMatchObject({ status: 504, code: 'timeout' })
    expect((cut as { message: string }).message).toMatch(/upload too slow: \d+ bytes in the last 10 s \(\d+ B\/s\), below this node's floor of 1024 B\/s/)
    await slow.closed
    expect(steady.isOpen).toBe(true)
    await steady.write(new Uint8Array(11 * KiB))
    await until('the steady sender’s second window', () => received() >= 28 * KiB)
    clock.advance(10_000)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(steady.isOpen).toBe(true)
    clock.advance(10_000) // it stalled for a whole window
    expect(await answerWithin(steady)).toMatchObject({ status: 504, code: 'timeout' })
    await until('the budget to be returned', () => budget.inUse === 0)
  })

  it('idle connections hold no budget and do not get in the way', async () => {
    const { server, budget, connect } = await node({})
    server.transport.onMessage(() => {})
    const idle = await Promise.all(Array.from({ length: 200 }, () => connect()))
    expect(budget.inUse).toBe(0)
    const client = startClient()
    closers.push(() => client.transport.close())
    await deliver(client.transport, { endpoint: server.endpoint }, binaryMessage('test.blob', new Uint8Array(1 * MiB)))
    expect(idle.every((c) => c.isOpen)).toBe(true)
    await until('the budget to be returned', () => budget.inUse === 0)
  })

  it('bulk traffic as the storage client sends it fits the defaults: 32 × 1 MiB in flight from one client', async () => {
    const server = await startNode()
    closers.push(() => server.transport.close())
    let got = 0
    server.transport.onMessage((m, r) => {
      got += m.body.length
      r?.reply(jsonMessage('test.ok', {}))
    })
    const client = startClient()
    closers.push(() => client.transport.close())
    const chunk = new Uint8Array(1 * MiB).map((_, i) => i & 0xff)
    await Promise.all(Array.from({ length: 32 }, () => deliver(client.transport, { endpoint: server.endpoint }, binaryMessage('test.chunk', chunk))))
    expect(got).toBe(32 * MiB)
    await until('the budget to be returned', () => server.transport.budget!.inUse === 0)
  })
})
