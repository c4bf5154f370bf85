import { describe, expect } from 'vitest'
import { binaryMessage, jsonMessage } from '../helpers/json-messages.js'
import type { Incoming } from '../../src/core/wire/message.js'
import type { BorgError } from '../../src/core/errors.js'
import { simIt } from './helpers.js'

describe('link latency', () => {
  simIt('one-way: arrives after the forward latency, acked after both latencies (asymmetric)', 1, ({ create }) => {
    const { sim, net } = create()
    const a = net.addNode(undefined, { offsetMs: 500 })
    const b = net.addNode()
    net.setLink(a.id, b.id, { latencyMs: 10 })
    net.setLink(b.id, a.id, { latencyMs: 30 })
    const start = sim.now
    const body = new Uint8Array([1, 2, 3])
    let received: Incoming | undefined
    let receivedAt = 0
    b.transport.onMessage((message, responder) => {
      received = message
      receivedAt = sim.now
      expect(responder).toBeUndefined()
    })
    let ackAt = 0
    a.transport.send({ endpoint: b.endpoint }, binaryMessage('hello', body), { onResult: (error) => ((ackAt = sim.now), expect(error).toBeNull()) })
    sim.run()
    expect(receivedAt - start).toBe(10)
    expect(ackAt - start).toBe(40)
    expect(received!.kind).toBe('hello')
    expect(received!.body).toBe(body) // by reference, not copied
    expect(received!.fromHex).toBe(a.id)
    expect(Buffer.from(received!.from).toString('hex')).toBe(a.id)
    expect(received!.id.length).toBe(16)
    expect(received!.to).toEqual({ type: 'none' })
    expect(received!.timestamp).toBe(start + 500) // sender's clock when sent
    expect(received!.expectsReply).toBe(false)
    expect(received!.ref).toBeUndefined()
  })

  simIt('request: the reply crosses the reverse link and refers to the request', 2, ({ create }) => {
    const { sim, net } = create()
    const a = net.addNode()
    const b = net.addNode(undefined, { offsetMs: -100 })
    net.setLink(a.endpoint, b.endpoint, { latencyMs: 7 })
    net.setLink(b.endpoint, a.endpoint, { latencyMs: 45 })
    const start = sim.now
    let requestId: Uint8Array | undefined
    b.transport.onMessage((message, responder) => {
      requestId = message.id
      expect(message.expectsReply).toBe(true)
      responder!.reply(jsonMessage('pong', { seen: message.timestamp }))
    })
    let reply: Incoming | undefined
    let replyAt = 0
    a.transport.send({ endpoint: b.endpoint, id: b.id }, jsonMessage('ping', {}), {
      expectReply: true,
      onResult: (error, message) => {
        expect(error).toBeNull()
        reply = message
        replyAt = sim.now
      },
    })
    sim.run()
    expect(replyAt - start).toBe(52)
    expect(reply!.ref).toBe(requestId)
    expect(reply!.fromHex).toBe(b.id)
    expect(reply!.timestamp).toBe(start + 7 - 100) // responder's clock when it replied
    expect(reply!.expectsReply).toBe(false)
  })

  simIt('jitter stays within [latency, latency + jitter) and varies', 3, ({ create }) => {
    const { sim, net } = create({}, { link: { latencyMs: 20, jitterMs: 10 } })
    const a = net.addNode()
    const b = net.addNode()
    const delays: number[] = []
    b.transport.onMessage((message) => delays.push(sim.now - message.timestamp))
    for (let i = 0; i < 1000; i++) a.transport.send({ endpoint: b.endpoint }, binaryMessage('x', new Uint8Array(0)))
    sim.run()
    expect(delays).toHaveLength(1000)
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(20)
    expect(Math.max(...delays)).toBeLessThan(30)
    expect(new Set(delays).size).toBeGreaterThan(900)
  })

  simIt('per-link override beats the link function, which beats the default', 4, ({ create }) => {
    const { sim, net } = create({}, { link: { latencyMs: 5 } })
    const [a, b, c] = [net.addNode(), net.addNode(), net.addNode()]
    net.setLinkFunction((_from, to) => (to === c.id ? { latencyMs: 100 } : undefined))
    net.setLink(a.id, b.id, { latencyMs: 1 })
    const arrivals = new Map<string, number>()
    for (const node of [a, b, c]) node.transport.onMessage(() => arrivals.set(node.endpoint, sim.elapsed))
    a.transport.send({ endpoint: b.endpoint }, jsonMessage('x', 1))
    b.transport.send({ endpoint: c.endpoint }, jsonMessage('x', 1))
    c.transport.send({ endpoint: a.endpoint }, jsonMessage('x', 1))
    sim.run()
    expect(Object.fromEntries(arrivals)).toEqual({ [b.endpoint]: 1, [c.endpoint]: 100, [a.endpoint]: 5 })
    net.setLink(a.id, b.id, undefined)
    a.transport.send({ endpoint: b.endpoint }, jsonMessage('x', 1))
    const sentAt = sim.elapsed
    sim.run()
    expect(arrivals.get(b.endpoint)! - sentAt).toBe(5)
  })

  simIt('an ack that would come back after the timeout is a timeout', 5, ({ create }) => {
    const { sim, net } = create({}, { link: { latencyMs: 600 } })
    const a = net.addNode()
    const b = net.addNode()
    let delivered = 0
    b.transport.onMessage(() => delivered++)
    let result: BorgError | null | undefined
    let at = 0
    a.transport.send({ endpoint: b.endpoint }, jsonMessage('x', 1), { timeoutMs: 1000, onResult: (error) => ((result = error), (at = sim.elapsed)) })
    sim.run()
    expect(delivered).toBe(1)
    expect(result?.code).toBe('timeout')
    expect(at).toBe(1000)
  })
})
