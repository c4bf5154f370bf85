// Profile: signed request/reply between two transports in one process.
import { startBenchServer, BENCH_CODECS } from '../../src/core/bench/bench-server.js'
import { HttpsTransport } from '../../src/core/net/https-transport.js'
import { silentLogger } from '../../src/core/log.js'
import { request } from '../../src/core/messaging/requests.js'
import { generateEd25519SecretKey } from '../../src/core/crypto/ed25519.js'
import { ed25519Signer } from '../../src/core/identity/signer.js'

const server = await startBenchServer()
const client = new HttpsTransport({ log: silentLogger, signer: ed25519Signer(generateEd25519SecretKey()) })
const peer = { endpoint: server.borg, id: server.nodeId }
const seconds = Number(process.env.SECONDS ?? 5)
let done = 0
const end = Date.now() + seconds * 1000
await Promise.all(Array.from({ length: 16 }, async () => {
  while (Date.now() < end) {
    await request(client, peer, BENCH_CODECS.echo.encode({ n: done }))
    done++
  }
}))
console.log(`${(done / seconds).toFixed(0)} req/s`)
await client.close()
await server.close()
