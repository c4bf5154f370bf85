// undici vs node:https client against one node:https server, small POST echo, 16 in flight, one process.
import { createServer, request as httpsRequest, Agent } from 'node:https'
import type { AddressInfo } from 'node:net'
import { Client } from 'undici'
import { generateTlsMaterial } from '../../src/core/net/cert.js'

const tls = await generateTlsMaterial('cmp')
const server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const body = Buffer.concat(chunks)
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length })
    res.end(body)
  })
})
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
const port = (server.address() as AddressInfo).port
const body = Buffer.alloc(300, 7)
const seconds = 3
async function run(name: string, one: () => Promise<void>) {
  let done = 0
  const end = Date.now() + seconds * 1000
  const cpu0 = process.cpuUsage()
  await Promise.all(Array.from({ length: 16 }, async () => { while (Date.now() < end) { await one(); done++ } }))
  const cpu = process.cpuUsage(cpu0)
  console.log(`${name.padEnd(12)} ${(done / seconds).toFixed(0)} req/s, ${(((cpu.user + cpu.system) / done)).toFixed(0)} µs CPU per request (both sides)`)
}
const agent = new Agent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: false })
await run('node:https', () => new Promise((resolve, reject) => {
  const req = httpsRequest({ host: '127.0.0.1', port, method: 'POST', path: '/', agent, headers: { 'content-length': body.length } }, (res) => { res.on('data', () => {}); res.on('end', resolve) })
  req.on('error', reject); req.end(body)
}))
const client = new Client(`https://127.0.0.1:${port}`, { connect: { rejectUnauthorized: false }, pipelining: 1, connections: 16 } as never)
await run('undici', async () => { const r = await client.request({ method: 'POST', path: '/', body, headers: { 'content-type': 'application/octet-stream' } }); await r.body.arrayBuffer() })
const { Pool } = await import('undici')
const pool = new Pool(`https://127.0.0.1:${port}`, { connect: { rejectUnauthorized: false }, connections: 16 })
await run('undici pool', async () => { const r = await pool.request({ method: 'POST', path: '/', body }); await r.body.arrayBuffer() })
await client.close(); await pool.close(); server.close(); agent.destroy()
