import { describe, expect } from 'vitest'
import { jsonMessage } from '../helpers/json-messages.js'
import { simIt } from './helpers.js'

describe('partitions', () => {
  simIt('block messages between groups until heal()', 31, ({ create }) => {
    const { sim, net } = create({}, { link: { latencyMs: 10 }, timeoutMs: 500 })
    const [a, b, c, d, e] = Array.from({ length: 5 }, () => net.addNode())
    const received: string[] = []
    for (const node of [a, b, c, d, e]) node!.transport.onMessage((m) => received.push(`${m.kind}>${node!.endpoint}`))
    net.partition([[a!.id, b!.id], [c!.endpoint]]) // d and e: the unlisted group
    expect(net.connected(a!.id, b!.id)).toBe(true)
    expect(net.connected(a!.id, c!.id)).toBe(false)
    expect(net.connected(d!.id, e!.id)).toBe(true)
    const results: string[] = []
    const send = (from: typeof a, to: typeof a, kind: string) =>
      from!.transport.send({ endpoint: to!.endpoint }, jsonMessage(kind, 0), { onResult: (error) => results.push(`${kind}:${error?.code ?? 'ok'}@${sim.elapsed}`) })
    send(a, b, 'ab')
    send(a, c, 'ac')
    send(d, e, 'de')
    send(e, a, 'ea')
    sim.run()
    expect(received.sort()).toEqual([`ab>${b!.endpoint}`, `de>${e!.endpoint}`])
    expect(results.sort()).toEqual(['ab:ok@20', 'ac:timeout@500', 'de:ok@20', 'ea:timeout@500'])
    expect(sim.metrics.drops.partition).toBe(2)

    net.heal()
    received.length = 0
    send(a, c, 'ac2')
    sim.run()
    expect(received).toEqual([`ac2>${c!.endpoint}`])
  })

  simIt('applies to messages already in flight and to replies on their way back', 32, ({ create }) => {
    const { sim, net } = create({}, { link: { latencyMs: 100 }, timeoutMs: 1000 })
    const a = net.addNode()
    const b = net.addNode()
    let handled = 0
    b.transport.onMessage((_m, responder) => {
      handled++
      responder?.reply(jsonMessage('pong', 0))
    })
    const results: string[] = []
    a.transport.send({ endpoint: b.endpoint }, jsonMessage('one-way', 0), { onResult: (error) => results.push(error?.code ?? 'ok') })
    sim.runFor(50)
    net.partition([[a.id], [b.id]]) // message still on the wire
    sim.run()
    expect(handled).toBe(0)
    net.heal()
    a.transport.send({ endpoint: b.endpoint }, jsonMessage('request', 0), { expectReply: true, onResult: (error) => results.push(error?.code ?? 'ok') })
    sim.runFor(150) // request handled at +100, reply on the wire
    expect(handled).toBe(1)
    net.partition([[a.id], [b.id]])
    sim.run()
    expect(results).toEqual(['timeout', 'timeout'])
    expect(sim.metrics.drops.partition).toBe(2)
  })
})
