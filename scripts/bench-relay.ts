/**
 * Relayed against direct throughput, in the same run, on loopback: one sender,
 * one relay, one relayed node (real HTTPS transports, real tunnel). The same
 * bytes go to the node directly (its own endpoint) and through the relay (its
 * via: endpoint), as 1 MiB messages (the storage chunk size) answered with a
 * small reply, `--parallel` at a time.
 *
 *   npx tsx scripts/bench-relay.ts [--mb 20] [--parallel 4] [--rounds 3]
 */
import { parseArgs } from 'node:util'
import { createHash } from 'node:crypto'
import { generateTlsMaterial } from '../src/core/net/cert.js'
import { HttpsTransport } from '../src/core/net/https-transport.js'
import { formatEndpoint } from '../src/core/net/endpoint.js'
import { formatRelayed } from '../src/core/net/relayed-endpoint.js'
import { generateEd25519SecretKey } from '../src/core/crypto/ed25519.js'
import { ed25519Signer } from '../src/core/identity/signer.js'
import { silentLogger } from '../src/core/log.js'
import { request } from '../src/core/messaging/requests.js'
import { BodyType } from '../src/core/wire/message.js'
import type { Peer } from '../src/core/wire/transport.js'

const { values } = parseArgs({ options: { mb: { type: 'string', default: '20' }, parallel: { type: 'string', default: '4' }, rounds: { type: 'string', default: '3' } } })
const totalMiB = Number(values.mb)
const parallel = Number(values.parallel)
const rounds = Number(values.rounds)
const CHUNK = 1024 * 1024

async function main(): Promise<void> {
  const tls = await generateTlsMaterial('bench')
  const make = (relay: boolean) => new HttpsTransport({ signer: ed25519Signer(generateEd25519SecretKey()), tls, log: silentLogger, ...(relay ? { relay: { limits: { bytesPerSecond: 2 ** 40, burstBytes: 2 ** 40 } } } : {}) })
  const relay = make(true)
  const node = make(false)
  const sender = make(false)
  const relayAt = formatEndpoint(await relay.listen('127.0.0.1', 0))
  const nodeAt = formatEndpoint(await node.listen('127.0.0.1', 0))
  let received = 0
  node.onMessage((m, r) => {
    received += m.body.length
    r?.reply({ kind: 'bench.got', body: createHash('sha256').update(m.body).digest(), bodyType: BodyType.binary })
  })
  await node.openRelayTunnel(relayAt, undefined)
  const body = new Uint8Array(CHUNK).map((_, i) => (i * 31 + 7) & 0xff)
  const digest = createHash('sha256').update(body).digest('hex')

  async function run(peer: Peer): Promise<number> {
    const started = performance.now()
    let next = 0
    const worker = async () => {
      while (next < totalMiB) {
        next++
        const reply = await request(sender, peer, { kind: 'bench.put', body, bodyType: BodyType.binary }, 60_000)
        if (Buffer.from(reply.body).toString('hex') !== digest) throw new Error('the node got other bytes')
      }
    }
    await Promise.all(Array.from({ length: parallel }, worker))
    return (totalMiB * CHUNK) / 1e6 / ((performance.now() - started) / 1000)
  }

  const direct = { endpoint: nodeAt, id: node.localId }
  const relayed = { endpoint: formatRelayed([relayAt]), id: node.localId }
  await run(direct) // warm both paths (pins, connections)
  await run(relayed)
  const rows: { direct: number; relayed: number }[] = []
  for (let i = 0; i < rounds; i++) rows.push({ direct: await run(direct), relayed: await run(relayed) })
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const d = median(rows.map((r) => r.direct))
  const rl = median(rows.map((r) => r.relayed))
  console.log(`${totalMiB} MiB as 1 MiB requests, ${parallel} at a time, ${rounds} rounds (median); every reply checked`)
  for (const [i, r] of rows.entries()) console.log(`  round ${i + 1}: direct ${r.direct.toFixed(1)} MB/s, relayed ${r.relayed.toFixed(1)} MB/s`)
  console.log(`direct ${d.toFixed(1)} MB/s, relayed ${rl.toFixed(1)} MB/s: relayed/direct ${(rl / d).toFixed(2)} (bytes received ${received})`)
  await Promise.all([sender.close(), node.close(), relay.close()])
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
