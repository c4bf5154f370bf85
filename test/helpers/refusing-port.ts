/**
 * A port on 127.0.0.1 where nothing listens and nothing will during the run: a privileged one,
 * which the OS never hands out as an ephemeral port, so a server another test file starts
 * meanwhile cannot take it (an OS-assigned port closed again once was taken, and answered HTTP
 * 405 instead of refusing). Runs without the right to bind one fall back to a port that was free
 * a moment ago.
 */
import { createServer, type Server } from 'node:net'

function listen(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(undefined))
    server.listen(port, '127.0.0.1', () => resolve(server))
  })
}

export async function refusingPort(): Promise<number> {
  for (const port of [9, 19, 39, 47, 101, 1001, 0]) {
    const probe = await listen(port)
    if (!probe) continue
    const bound = (probe.address() as { port: number }).port
    await new Promise((resolve) => probe.close(resolve))
    return bound
  }
  throw new Error('no port to refuse connections on')
}
