/** The Transport contract in the deterministic simulator (a lossless network with jitter, so messages reorder). */
import { Simulator } from '../../src/core/sim/simulator.js'
import { SimNetwork } from '../../src/core/sim/sim-network.js'
import { transportContract, type TransportLab } from './contract.js'

const MAX_BODY = 256 * 1024

transportContract('simulator', (): TransportLab => {
  const sim = new Simulator({ seed: 7 })
  const net = new SimNetwork(sim, { link: { latencyMs: 5, jitterMs: 20 }, maxBodyBytes: MAX_BODY })
  return {
    maxBodyBytes: MAX_BODY,
    node: async () => {
      const n = net.addNode()
      return { transport: n.transport, peer: { endpoint: n.endpoint } }
    },
    deadPeer: () => ({ endpoint: 'nobody-here' }),
    settle: async (pending) => {
      sim.run()
      return pending
    },
  }
})
