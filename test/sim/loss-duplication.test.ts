import { describe, expect } from 'vitest'
import { jsonMessage } from '../helpers/json-messages.js'
import type { Incoming } from '../../src/core/wire/message.js'
import type { SimMetrics } from '../../src/core/sim/sim-metrics.js'
import { simIt } from './helpers.js'

/** Every copy the network carried was delivered or dropped (once the run has drained). */
function expectBalanced(metrics: SimMetrics): void {
  expect(metrics.messagesSent + metrics.messagesDuplicated).toBe(metrics.messagesDelivered + metrics.messagesDropped)
}

describe('loss', () => {
  simIt('drops the configured fraction of messages (10% ± 1.5% over 10 000)', 21, ({ create }) => {
    const { sim, net } = create({ trace: false }, { link: { loss: 0.1 } })
    const nodes = Array.from({ length: 50 }, () => net.addNode())
    let received = 0
    for (const node of nodes) node.transport.onMessage(() => received++)
    const n = 10_000
    for (let i = 0; i < n; i++) {
      const from = nodes[i % nodes.length]!
      const to = nodes[(i * 7 + 3) % nodes.length]!
      from.transport.send({ endpoint: to.endpoint }, jsonMessage('x', i))
    }
    sim.run()
    const lossRate = 1 - received / n
    expect(lossRate).toBeGreaterThan(0.085)
    expect(lossRate).toBeLessThan(0.115)
    expect(sim.metrics.drops.loss).toBe(n - received)
    expectBalanced(sim.metrics)
  })

  simIt('a lost message or lost ack ends in a timeout at the deadline', 22, ({ create }) => {
    const { sim, net } = create({ trace: false }, { link: { loss: 0.1, latencyMs: 10 }, timeoutMs: 1000 })
    const a = net.addNode()
    const b = net.addNode()
    b.transport.onMessage(() => {})
    let ok = 0
    let timeouts = 0
    const n = 5000
    for (let i = 0; i < n; i++) {
      a.transport.send({ endpoint: b.endpoint }, jsonMessage('x', i), {
        onResult: (error) => {
          if (error === null && sim.elapsed === 20) ok++
          else if (error?.code === 'timeout' && sim.elapsed === 1000) timeouts++
        },
      })
    }
    sim.run()
    expect(ok + timeouts).toBe(n)
    // Both legs can be lost: 1 - 0.9² = 19%.
    expect(timeouts / n).toBeGreaterThan(0.17)
    expect(timeouts / n).toBeLessThan(0.21)
    expect(sim.metrics.timeouts).toBe(timeouts)
  })
})

describe('duplication', () => {
  simIt('with dedupe (default) each message reaches the handler once; the copy is dropped', 23, ({ create }) => {
    const { sim, net } = create({ trace: false }, { link: { duplicate: 0.2 } })
    const a = net.addNode()
    const b = net.addNode()
    let received = 0
    b.transport.onMessage(() => received++)
    const n = 5000
    for (let i = 0; i < n; i++) a.transport.send({ endpoint: b.endpoint }, jsonMessage('x', i))
    sim.run()
    expect(received).toBe(n)
    expect(sim.metrics.messagesDuplicated).toBe(sim.metrics.drops.duplicate)
    expect(sim.metrics.messagesDuplicated / n).toBeGreaterThan(0.18)
    expect(sim.metrics.messagesDuplicated / n).toBeLessThan(0.22)
    expectBalanced(sim.metrics)
  })

  simIt('without dedupe the handler sees the same message (same id) twice', 24, ({ create }) => {
    const { sim, net } = create({ trace: false }, { link: { duplicate: 0.2, jitterMs: 5 }, dedupe: false })
    const a = net.addNode()
    const b = net.addNode()
    const seen = new Map<string, Incoming[]>()
    b.transport.onMessage((message) => {
      const key = Buffer.from(message.id).toString('hex')
      seen.set(key, [...(seen.get(key) ?? []), message])
    })
    const n = 5000
    for (let i = 0; i < n; i++) a.transport.send({ endpoint: b.endpoint }, jsonMessage('x', i))
    sim.run()
    expect(seen.size).toBe(n)
    const twice = [...seen.values()].filter((copies) => copies.length === 2)
    expect(twice.length).toBe(sim.metrics.messagesDuplicated)
    expect(twice.length / n).toBeGreaterThan(0.18)
    expect(twice.every(([first, second]) => first === second)).toBe(true)
    expect(sim.metrics.drops.duplicate).toBe(0)
    expectBalanced(sim.metrics)
  })

  simIt('a duplicated request without dedupe still yields exactly one result; the extra reply is late', 25, ({ create }) => {
    const { sim, net } = create({}, { link: { duplicate: 1 }, dedupe: false })
    const a = net.addNode()
    const b = net.addNode()
    let handled = 0
    b.transport.onMessage((_message, responder) => {
      handled++
      responder!.reply(jsonMessage('pong', handled))
    })
    const results: unknown[] = []
    a.transport.send({ endpoint: b.endpoint }, jsonMessage('ping', 0), { expectReply: true, onResult: (error, reply) => results.push(error ?? reply!.kind) })
    sim.run()
    expect(handled).toBe(2)
    expect(results).toEqual(['pong'])
    expect(sim.metrics.drops.late).toBe(1)
    expectBalanced(sim.metrics)
  })

  simIt('the replay cache dies with the process: a copy reaching a restarted receiver is delivered', 26, ({ create }) => {
    const { sim, net } = create({}, { link: { latencyMs: 10, jitterMs: 100, duplicate: 1 } })
    const a = net.addNode()
    const b = net.addNode()
    let before = 0
    let after = 0
    b.transport.onMessage(() => before++)
    a.transport.send({ endpoint: b.endpoint }, jsonMessage('x', 0))
    sim.run({ stopWhen: () => before === 1 })
    net.restart(b.id).transport.onMessage(() => after++)
    sim.run()
    expect([before, after]).toEqual([1, 1])
    expect(sim.metrics.drops.duplicate).toBe(0)
  })
})
