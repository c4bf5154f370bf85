import { describe, expect } from 'vitest'
import { BorgError } from '../../src/core/errors.js'
import { jsonMessage, readJson } from '../helpers/json-messages.js'
import { request, deliver } from '../../src/core/messaging/requests.js'
import { simIt } from './helpers.js'

describe('requests and replies', () => {
  simIt('each concurrent request gets its own reply, exactly once, referring to it', 51, ({ create }) => {
    const { sim, net } = create({}, { link: { latencyMs: 5, jitterMs: 40 } })
    const server = net.addNode()
    const clients = Array.from({ length: 20 }, () => net.addNode())
    server.transport.onMessage((message, responder) => {
      // Answer after a random delay so replies overtake one another.
      server.clock.after(server.random.int(30), () => responder!.reply(jsonMessage('echo', readJson(message))))
    })
    const results = new Map<string, number>()
    let calls = 0
    clients.forEach((client, c) => {
      for (let i = 0; i < 10; i++) {
        const value = `${c}/${i}`
        client.transport.send({ endpoint: server.endpoint }, jsonMessage('echo-q', value), {
          expectReply: true,
          onResult: (error, reply) => {
            calls++
            expect(error).toBeNull()
            expect(readJson(reply!)).toBe(value)
            results.set(value, (results.get(value) ?? 0) + 1)
          },
        })
      }
    })
    sim.run()
    expect(calls).toBe(200)
    expect([...results.values()].every((n) => n === 1)).toBe(true)
  })

  simIt('reply.ref is the request id', 52, ({ create }) => {
    const { sim, net } = create()
    const [a, b] = [net.addNode(), net.addNode()]
    let id: Uint8Array | undefined
    b.transport.onMessage((m, r) => ((id = m.id), r!.reply(jsonMessage('ok', 0))))
    let ref: Uint8Array | undefined
    a.transport.send({ endpoint: b.endpoint }, jsonMessage('q', 0), { expectReply: true, onResult: (_e, reply) => (ref = reply!.ref) })
    sim.run()
    expect(ref).toEqual(id)
  })

  simIt('a handler that never answers means a timeout at exactly timeoutMs; a late reply is counted and dropped', 53, ({ create }) => {
    const { sim, net } = create({}, { timeoutMs: 3000 })
    const [a, b] = [net.addNode(), net.addNode()]
    const pending: { reply(m: ReturnType<typeof jsonMessage>): void }[] = []
    b.transport.onMessage((_m, responder) => void pending.push(responder!))
    const results: string[] = []
    a.transport.send({ endpoint: b.endpoint }, jsonMessage('slow', 0), { expectReply: true, onResult: (e) => results.push(`${e?.code}@${sim.elapsed}`) })
    a.transport.send({ endpoint: b.endpoint }, jsonMessage('slow', 1), { expectReply: true, timeoutMs: 250, onResult: (e) => results.push(`${e?.code}@${sim.elapsed}`) })
    sim.run()
    expect(results).toEqual(['timeout@250', 'timeout@3000'])
    pending[0]!.reply(jsonMessage('too-late', 0)) // requester already timed out
    sim.run()
    expect(results).toHaveLength(2)
    expect(sim.metrics.drops.late).toBe(1)
    expect(sim.metrics.timeouts).toBe(2)
  })

  simIt('a reply that arrives after the deadline is late, not a result', 54, ({ create }) => {
    const { sim, net } = create({}, { timeoutMs: 1000 })
    const [a, b] = [net.addNode(), net.addNode()]
    b.transport.onMessage((_m, responder) => b.clock.after(970, () => responder!.reply(jsonMessage('pong', 0)))) // back at 1010
    const results: string[] = []
    a.transport.send({ endpoint: b.endpoint }, jsonMessage('ping', 0), { expectReply: true, onResult: (e) => results.push(e?.code ?? 'ok') })
    sim.run()
    expect(results).toEqual(['timeout'])
    expect(sim.metrics.drops.late).toBe(1)
  })

  simIt('fail(code, text) reaches the requester as a BorgError', 55, ({ create }) => {
    const { sim, net } = create()
    const [a, b] = [net.addNode(), net.addNode()]
    b.transport.onMessage((_m, responder) => responder!.fail('busy', 'try later'))
    let error: BorgError | null | undefined
    a.transport.send({ endpoint: b.endpoint }, jsonMessage('q', 0), { expectReply: true, onResult: (e) => (error = e) })
    sim.run()
    expect(error).toBeInstanceOf(BorgError)
    expect([error!.code, error!.message]).toEqual(['busy', 'try later'])
  })

  simIt("a throwing handler is caught and counted; the request and the one-way message then fail 'internal'", 56, ({ create }) => {
    const { sim, net } = create()
    const [a, b] = [net.addNode(), net.addNode()]
    b.transport.onMessage(() => {
      throw new Error('boom')
    })
    const results: string[] = []
    a.transport.send({ endpoint: b.endpoint }, jsonMessage('q', 0), { expectReply: true, onResult: (e) => results.push(e?.code ?? 'ok') })
    a.transport.send({ endpoint: b.endpoint }, jsonMessage('note', 0), { onResult: (e) => results.push(e?.code ?? 'ok') })
    sim.run()
    expect(results.sort()).toEqual(['internal', 'internal'])
    expect(sim.metrics.handlerErrors).toBe(2)
    expect((sim.metrics.handlerErrorSamples[0] as Error).message).toBe('boom')
  })

  simIt('a responder can only be used once', 57, ({ create }) => {
    const { sim, net } = create()
    const [a, b] = [net.addNode(), net.addNode()]
    b.transport.onMessage((_m, responder) => {
      responder!.reply(jsonMessage('one', 0))
      expect(() => responder!.reply(jsonMessage('two', 0))).toThrow(/used twice/)
    })
    const kinds: string[] = []
    a.transport.send({ endpoint: b.endpoint }, jsonMessage('q', 0), { expectReply: true, onResult: (_e, r) => kinds.push(r!.kind) })
    sim.run()
    expect(kinds).toEqual(['one'])
  })

  simIt("a Peer.id that does not match the node is refused with 'identity-mismatch' and not delivered", 58, ({ create }) => {
    const { sim, net } = create()
    const [a, b, c] = [net.addNode(), net.addNode(), net.addNode()]
    let delivered = 0
    b.transport.onMessage((_m, r) => (delivered++, r?.reply(jsonMessage('ok', 0))))
    const results: string[] = []
    const onResult = (e: BorgError | null) => results.push(e?.code ?? 'ok')
    a.transport.send({ endpoint: b.endpoint, id: c.id }, jsonMessage('q', 0), { expectReply: true, onResult })
    a.transport.send({ endpoint: b.endpoint, id: c.id }, jsonMessage('n', 0), { onResult })
    a.transport.send({ endpoint: b.endpoint, id: b.id.toUpperCase() }, jsonMessage('n', 0), { onResult })
    sim.run()
    expect(results).toEqual(['identity-mismatch', 'identity-mismatch', 'ok'])
    expect(delivered).toBe(1)
    expect(sim.metrics.drops['identity-mismatch']).toBe(2)
  })

  simIt('exceptions from onResult propagate out of run() and the run can continue', 59, ({ create }) => {
    const { sim, net } = create()
    const [a, b] = [net.addNode(), net.addNode()]
    b.transport.onMessage(() => {})
    let later = 0
    a.transport.send({ endpoint: b.endpoint }, jsonMessage('n', 0), {
      onResult: () => {
        throw new Error('bug in protocol code')
      },
    })
    sim.after(1000, () => later++)
    expect(() => sim.run()).toThrow('bug in protocol code')
    sim.run()
    expect(later).toBe(1)
  })

  simIt('the promise helpers of wire/transport.ts work on top of the simulator', 60, async ({ create }) => {
    const { sim, net } = create()
    const [a, b] = [net.addNode(), net.addNode()]
    b.transport.onMessage((m, r) => r?.reply(jsonMessage('pong', readJson(m))))
    const reply = request(a.transport, { endpoint: b.endpoint }, jsonMessage('ping', 7))
    const acked = deliver(a.transport, { endpoint: b.endpoint }, jsonMessage('note', 0))
    sim.run()
    expect(readJson(await reply)).toBe(7)
    await expect(acked).resolves.toBeUndefined()
  })
})
