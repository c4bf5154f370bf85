import { describe, expect } from 'vitest'
import { jsonMessage } from '../helpers/json-messages.js'
import { simIt } from './helpers.js'

describe('crash and restart', () => {
  simIt("a crashed node's timers never fire", 41, ({ create }) => {
    const { sim, net } = create()
    const node = net.addNode()
    let ticks = 0
    const tick = () => {
      ticks++
      node.clock.after(100, tick)
    }
    node.clock.after(100, tick)
    sim.runFor(1050)
    expect(ticks).toBe(10)
    net.crash(node.id)
    expect(net.isUp(node.id)).toBe(false)
    sim.runFor(10_000)
    expect(ticks).toBe(10)
    expect(sim.metrics.timersDiscarded).toBe(1)
    expect(sim.pending).toBe(0)
    // A dead process cannot set new timers either.
    node.clock.after(1, () => ticks++)
    sim.run()
    expect(ticks).toBe(10)
  })

  simIt("sends to a crashed node fail 'unavailable' after one round trip", 42, ({ create }) => {
    const { sim, net } = create({}, { link: { latencyMs: 15 } })
    const a = net.addNode()
    const b = net.addNode()
    b.transport.onMessage(() => {})
    net.crash(b.id)
    const results: string[] = []
    a.transport.send({ endpoint: b.endpoint }, jsonMessage('x', 0), { onResult: (e) => results.push(`${e?.code}@${sim.elapsed}`) })
    a.transport.send({ endpoint: b.endpoint }, jsonMessage('y', 0), { expectReply: true, onResult: (e) => results.push(`${e?.code}@${sim.elapsed}`) })
    a.transport.send({ endpoint: 'nowhere:1' }, jsonMessage('z', 0), { onResult: (e) => results.push(`${e?.code}@${sim.elapsed}`) })
    sim.run()
    // Unknown endpoint: a default-link round trip too (the default here is 15 ms).
    expect(results).toEqual(['unavailable@30', 'unavailable@30', 'unavailable@30'])
    expect(sim.metrics.drops).toMatchObject({ down: 2, 'unknown-endpoint': 1 })
  })

  simIt('restart gives a working node with the same id and endpoint and fresh state', 43, ({ create }) => {
    const { sim, net } = create()
    const a = net.addNode()
    const b = net.addNode()
    const old = b
    net.crash(b.id)
    const b2 = net.restart(b.id)
    expect(net.isUp(b.id)).toBe(true)
    expect([b2.id, b2.endpoint]).toEqual([old.id, old.endpoint])
    expect(b2.transport).not.toBe(old.transport)
    expect(b2.random.bytes(8)).not.toEqual(old.random.bytes(8))
    expect(net.node(b.id)!.transport).toBe(b2.transport)

    let received = 0
    old.transport.onMessage(() => received--) // the dead process's handler is gone
    b2.transport.onMessage((_m, responder) => {
      received++
      responder?.reply(jsonMessage('pong', 0))
    })
    const results: string[] = []
    a.transport.send({ endpoint: b.endpoint, id: b.id }, jsonMessage('ping', 0), { expectReply: true, onResult: (e, r) => results.push(e?.code ?? r!.kind) })
    // The dead process's transport sends nothing.
    old.transport.send({ endpoint: a.endpoint }, jsonMessage('ghost', 0), { onResult: () => results.push('ghost') })
    sim.run()
    expect(received).toBe(1)
    expect(results).toEqual(['pong'])
    expect(sim.metrics.drops['sender-down']).toBe(1)
  })

  simIt('a message in flight reaches the restarted process; a requester that crashed gets no callback', 44, ({ create }) => {
    const { sim, net } = create({}, { link: { latencyMs: 100 } })
    const a = net.addNode()
    const b = net.addNode()
    b.transport.onMessage((_m, responder) => responder?.reply(jsonMessage('pong', 0)))
    let delivered = 0
    a.transport.send({ endpoint: b.endpoint }, jsonMessage('x', 0))
    sim.runFor(10)
    net.crash(b.id)
    sim.runFor(10)
    net.restart(b.id).transport.onMessage(() => delivered++)
    sim.run()
    expect(delivered).toBe(1)

    let called = 0
    const b3 = net.node(b.id)!
    b3.transport.onMessage((_m, responder) => responder!.reply(jsonMessage('pong', 0)))
    a.transport.send({ endpoint: b.endpoint }, jsonMessage('ping', 0), { expectReply: true, onResult: () => called++ })
    sim.runFor(150) // reply on the wire
    net.crash(a.id)
    sim.run()
    expect(called).toBe(0)
    expect(sim.metrics.drops.down).toBe(1)
  })

  simIt('crashAt schedules a crash and a restart', 45, ({ create }) => {
    const { sim, net } = create()
    const node = net.addNode()
    let restarted = false
    net.crashAt(node.id, sim.now + 1000, 500, () => (restarted = true))
    sim.runFor(1200)
    expect(net.isUp(node.id)).toBe(false)
    sim.runFor(400)
    expect(net.isUp(node.id)).toBe(true)
    expect(restarted).toBe(true)
  })
})
