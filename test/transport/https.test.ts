/** The Transport contract over real HTTPS on 127.0.0.1 (OS-assigned ports, pinned self-signed certificates). */
import { createServer } from 'node:net'
import { afterAll } from 'vitest'
import { startNode } from '../helpers/wire.js'
import { transportContract, type TransportLab } from './contract.js'

const MAX_BODY = 256 * 1024
const closers: (() => Promise<void>)[] = []
afterAll(async () => void (await Promise.all(closers.map((close) => close()))))

/** A port that was free a moment ago and where nothing listens now. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
const deadPort = await closedPort()

transportContract('HTTPS', (): TransportLab => ({
  maxBodyBytes: MAX_BODY,
  node: async () => {
    const n = await startNode({ verifier: { maxBodyBytes: MAX_BODY } })
    closers.push(() => n.transport.close())
    return { transport: n.transport, peer: { endpoint: n.endpoint } }
  },
  deadPeer: () => ({ endpoint: `127.0.0.1:${deadPort}` }),
  settle: (pending) => pending,
}))
