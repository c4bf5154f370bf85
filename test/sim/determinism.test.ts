import { describe, expect } from 'vitest'
import { jsonMessage } from '../helpers/json-messages.js'
import type { SimContext } from './helpers.js'
import { simIt } from './helpers.js'
import { Simulator } from '../../src/core/sim/simulator.js'
import { SimNetwork } from '../../src/core/sim/sim-network.js'

/** A busy little network: jitter, loss, duplication, requests, one-way sends, timers, a crash. */
function scenario(seed: number | string, ctx?: SimContext) {
  const { sim, net } = ctx ? ctx.create() : { sim: new Simulator({ seed, trace: true }), net: undefined }
  const network = net ?? new SimNetwork(sim)
  network.setDefaultLink({ latencyMs: 10, jitterMs: 15, loss: 0.05, duplicate: 0.05 })
  const nodes = Array.from({ length: 30 }, () => network.addNode())
  let results = 0
  for (const node of nodes) {
    node.transport.onMessage((_message, responder) => {
      if (responder) node.clock.after(node.random.int(50), () => responder.reply(jsonMessage('pong', { t: node.clock.now() })))
    })
    const tick = () => {
      const peer = nodes[node.random.int(nodes.length)]!
      node.transport.send({ endpoint: peer.endpoint, id: peer.id }, jsonMessage('ping', {}), {
        expectReply: node.random.chance(0.5),
        timeoutMs: 300,
        onResult: () => results++,
      })
      node.clock.after(80 + node.random.int(40), tick)
    }
    node.clock.after(node.random.int(100), tick)
  }
  sim.after(2000, () => network.crash(nodes[3]!.id))
  sim.runFor(5000)
  return { trace: sim.trace!.toArray(), digest: sim.digest, metrics: sim.metrics.snapshot(), results }
}

describe('determinism', () => {
  simIt('the same seed gives the identical trace, digest and metrics', 1234, (ctx) => {
    const first = scenario(ctx.seed, ctx)
    const second = scenario(ctx.seed)
    expect(first.trace.length).toBeGreaterThan(1000)
    expect(second.trace).toEqual(first.trace)
    expect(second.digest).toBe(first.digest)
    expect(second.metrics).toEqual(first.metrics)
    expect(second.results).toBe(first.results)
  })

  simIt('a different seed gives a different run', 1234, (ctx) => {
    const first = scenario(ctx.seed, ctx)
    const other = scenario(`${String(ctx.seed)}-other`)
    expect(other.digest).not.toBe(first.digest)
    expect(other.trace).not.toEqual(first.trace)
  })
})
