import { describe, expect } from 'vitest'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { binaryMessage } from '../helpers/json-messages.js'
import { simIt } from './helpers.js'

/** Full GC so heap figures mean something (exposes gc() at runtime, no node flag needed). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc')
  ;(runInNewContext('gc') as () => void)()
}

describe('scale', () => {
  simIt(
    '100 000 nodes each sending one message to a random peer',
    71,
    ({ create, seed }) => {
      const n = 100_000
      collectGarbage()
      const heapBefore = process.memoryUsage().heapUsed
      const started = performance.now()
      const { sim, net } = create({ trace: false }, { link: { latencyMs: 20, jitterMs: 30 } })
      const nodes = Array.from({ length: n }, () => net.addNode())
      const built = performance.now()
      collectGarbage()
      const heapPerNode = (process.memoryUsage().heapUsed - heapBefore) / n

      let received = 0
      const handler = () => void received++
      const body = new Uint8Array(64)
      for (const node of nodes) node.transport.onMessage(handler)
      const runStart = performance.now()
      const cpuStart = process.cpuUsage()
      for (const node of nodes) node.transport.send({ endpoint: nodes[node.random.int(n)]!.endpoint }, binaryMessage('gossip', body))
      const events = sim.run()
      const runMs = performance.now() - runStart
      const cpu = process.cpuUsage(cpuStart)
      const cpuMs = (cpu.user + cpu.system) / 1000

      console.log(
        `[scale] seed ${String(seed)}: ${n} nodes built in ${(built - started).toFixed(0)} ms, ` +
          `${Math.round(heapPerNode)} B heap/node (sim + test handle); ${n} sends + ${events} deliveries in ${runMs.toFixed(0)} ms ` +
          `(${cpuMs.toFixed(0)} ms CPU) = ${Math.round((n / runMs) * 1000).toLocaleString('en')} messages/s end to end`,
      )
      expect(received).toBe(n)
      expect(sim.metrics.messagesDelivered).toBe(n)
      expect(sim.metrics.bytesSent).toBe(64 * n)
      expect(sim.elapsed).toBeLessThan(50)
    },
    20_000,
  )
})
