import { describe, expect, it } from 'vitest'
import { Simulator } from '../../src/core/sim/simulator.js'
import { EventQueue, type EventSink } from '../../src/core/sim/event-queue.js'
import { jsonMessage } from '../helpers/json-messages.js'
import { simIt } from './helpers.js'

describe('Simulator run control', () => {
  it('step, run with maxEvents / until / stopWhen, runFor, after, at, cancel', () => {
    const sim = new Simulator({ seed: 5, epochMs: 0 })
    const log: number[] = []
    for (const t of [30, 10, 20, 40]) sim.after(t, () => log.push(sim.now))
    const cancelled = sim.at(25, () => log.push(-1))
    expect(sim.cancel(cancelled)).toBe(true)
    expect(sim.cancel(cancelled)).toBe(false)
    expect(sim.pending).toBe(4)

    expect(sim.step()).toBe(true)
    expect(log).toEqual([10])
    expect(sim.run({ maxEvents: 1 })).toBe(1)
    expect(log).toEqual([10, 20])
    expect(sim.run({ until: 35 })).toBe(1)
    expect(sim.now).toBe(35) // time advances to `until` even with nothing due
    expect(sim.run({ stopWhen: () => log.length >= 3 })).toBe(0)
    expect(sim.runFor(100)).toBe(1)
    expect(sim.now).toBe(135)
    expect(log).toEqual([10, 20, 30, 40])
    expect(sim.step()).toBe(false)
    expect(sim.run()).toBe(0)
    expect(() => sim.after(Infinity, () => {})).toThrow(RangeError)
    expect(() => sim.after(-1, () => {})).toThrow(RangeError)
  })

  it('refuses to run from inside an event', () => {
    const sim = new Simulator()
    sim.after(1, () => sim.run())
    expect(() => sim.run()).toThrow(/inside an event/)
  })

  it('keeps the digest equal for equal runs without tracing', () => {
    const run = (seed: number) => {
      const sim = new Simulator({ seed })
      for (let i = 0; i < 100; i++) sim.after(sim.random.int(1000), () => {})
      sim.run()
      return sim.digest
    }
    expect(run(1)).toBe(run(1))
    expect(run(1)).not.toBe(run(2))
  })
})

describe('EventQueue compaction', () => {
  it('drops cancelled entries in bulk and still pops the rest in order', () => {
    const sink: EventSink = { onEvent() {}, describe: () => '' }
    const queue = new EventQueue(16)
    const refs = Array.from({ length: 10_000 }, (_, i) => queue.push((i * 7919) % 10_000, sink, i, undefined, undefined))
    for (let i = 0; i < refs.length; i++) if (i % 10 !== 0) queue.cancel(refs[i]!)
    expect(queue.size).toBe(1000)
    const times: number[] = []
    while (queue.size > 0) {
      const slot = queue.pop()
      expect(queue.code(slot) % 10).toBe(0)
      times.push(queue.poppedTime)
      queue.release(slot)
    }
    expect(times).toHaveLength(1000)
    expect(times).toEqual([...times].sort((a, b) => a - b))
  })
})

describe('metrics', () => {
  simIt('count messages and bytes per kind and drops by reason, and balance', 61, ({ create }) => {
    const { sim, net } = create({}, { link: { latencyMs: 10 } })
    const [a, b] = [net.addNode(), net.addNode()]
    b.transport.onMessage((_m, r) => r?.reply({ kind: 'pong', body: new Uint8Array(5) }))
    a.transport.send({ endpoint: b.endpoint }, { kind: 'ping', body: new Uint8Array(3) }, { expectReply: true, onResult: () => {} })
    a.transport.send({ endpoint: b.endpoint }, jsonMessage('note', 'hi'))
    a.transport.send({ endpoint: 'n99' }, jsonMessage('note', 'lost'))
    sim.run()
    const m = sim.metrics
    expect(m.byKind.get('ping')).toEqual({ sent: 1, delivered: 1, dropped: 0, bytesSent: 3 })
    expect(m.byKind.get('pong')).toEqual({ sent: 1, delivered: 1, dropped: 0, bytesSent: 5 })
    expect(m.byKind.get('note')).toMatchObject({ sent: 2, delivered: 1, dropped: 1 })
    expect(m.drops['unknown-endpoint']).toBe(1)
    expect(m.messagesSent + m.messagesDuplicated).toBe(m.messagesDelivered + m.messagesDropped)
    expect(m.snapshot()).toMatchObject({ messagesSent: 4, messagesDelivered: 3, messagesDropped: 1 })
  })
})
