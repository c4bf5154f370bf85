/**
 * A man-in-the-middle: terminates TLS with its own self-signed certificate and
 * relays every HTTP request, byte for byte, to the real node behind it.
 */
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { generateTlsMaterial } from '../../src/core/net/cert.js'
import { Agent, request } from '../../src/core/net/undici.js'

export async function startMitmProxy(target: string) {
  const tls = await generateTlsMaterial('definitely-the-real-node')
  const upstream = new Agent({ connect: { rejectUnauthorized: false } })
  let relayed = 0
  const server = createServer({ key: tls.keyPem, cert: tls.certPem }, async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    try {
      const response = await request(`https://${target}${req.url}`, {
        method: req.method as 'GET' | 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? 'application/octet-stream' },
        body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
        dispatcher: upstream,
      })
      const body = Buffer.from(await response.body.arrayBuffer())
      relayed++
      res.writeHead(response.statusCode, { 'content-type': String(response.headers['content-type'] ?? ''), 'content-length': body.length })
      res.end(body)
    } catch (error) {
      res.writeHead(502)
      res.end(String(error))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    endpoint: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    certSha256: tls.certSha256,
    relayed: () => relayed,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await upstream.close()
    },
  }
}
