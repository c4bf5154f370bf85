/** The Transport contract over real HTTPS on 127.0.0.1 (OS-assigned ports, pinned self-signed certificates). */
import { afterAll } from 'vitest'
import { startNode } from '../helpers/wire.js'
import { refusingPort } from '../helpers/refusing-port.js'
import { transportContract, type TransportLab } from './contract.js'

const MAX_BODY = 256 * 1024
const closers: (() => Promise<void>)[] = []
afterAll(async () => void (await Promise.all(closers.map((close) => close()))))

const deadPort = await refusingPort()

// Twice: small messages on links (the default, §4.5), and every message an HTTP request of its own.
for (const links of [true, false]) transportContract(links ? 'HTTPS with links' : 'HTTPS, one request per message', (): TransportLab => ({
  maxBodyBytes: MAX_BODY,
  node: async () => {
    const n = await startNode({ verifier: { maxBodyBytes: MAX_BODY }, links })
    closers.push(() => n.transport.close())
    return { transport: n.transport, peer: { endpoint: n.endpoint } }
  },
  deadPeer: () => ({ endpoint: `127.0.0.1:${deadPort}` }),
  settle: (pending) => pending,
}))
