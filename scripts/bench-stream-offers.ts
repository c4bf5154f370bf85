/**
 * npx tsx --expose-gc scripts/bench-stream-offers.ts [--offers 10]
 *
 * What large stream offers cost a receiving node (the review saw 1.84 GB RSS
 * for ten): one process, real HTTPS on 127.0.0.1, the receiving node's stream
 * kinds as a shard cell registers them. Its owner offers `--offers` streams of
 * 1 TiB in the most chunks an offer may list (65536), pulled from a member
 * that accepts connections and never answers, so every stream stays
 * "pulling" with its window in flight. Prints RSS and heap before (the
 * baseline, same run) and while they pull, the bytes the partials take on
 * disk, and what the same offers get under the default quota.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { createServer, type Socket } from 'node:net'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { silentLogger } from '../src/core/log.js'
import { generateTlsMaterial } from '../src/core/net/cert.js'
import { formatEndpoint } from '../src/core/net/endpoint.js'
import { HttpsTransport } from '../src/core/net/https-transport.js'
import { generateEd25519SecretKey } from '../src/core/crypto/ed25519.js'
import { ed25519Signer } from '../src/core/identity/signer.js'
import { AllowList, Consent } from '../src/core/stream/consent.js'
import { StreamIntake } from '../src/core/stream/intake.js'
import { MAX_OFFER_CHUNKS, STREAM_KIND } from '../src/core/stream/messages.js'
import { PendingOffers } from '../src/core/stream/pending.js'
import { StreamReceiver } from '../src/core/stream/receiver.js'
import { registerStreamRoutes } from '../src/core/stream/routes.js'
import { StreamSources } from '../src/core/stream/sources.js'
import { SystemClock } from '../src/core/time/system-clock.js'
import { jsonMessage } from '../test/helpers/json-messages.js'
import { MessageRouter } from '../src/core/messaging/router.js'
import { request } from '../src/core/messaging/requests.js'

const { values } = parseArgs({ options: { offers: { type: 'string', default: '10' } } })
const offers = Number(values.offers)
const MB = 1024 * 1024
const gc = (globalThis as { gc?: () => void }).gc
const memory = () => {
  gc?.()
  const m = process.memoryUsage()
  return `RSS ${Math.round(m.rss / MB)} MB, heap ${Math.round(m.heapUsed / MB)} MB`
}

/** A receiving node with the given quota; its owner's transport. */
async function receivingNode(dir: string, quotaBytes: number | undefined, member: { id: string; endpoint: string }) {
  const clock = new SystemClock()
  const signer = ed25519Signer(generateEd25519SecretKey())
  const transport = new HttpsTransport({ signer, tls: await generateTlsMaterial('bench'), log: silentLogger })
  const endpoint = formatEndpoint(await transport.listen('127.0.0.1', 0))
  const limits = quotaBytes === undefined ? {} : { quotaBytes, maxStreams: offers }
  const receiver = new StreamReceiver({ dir, transport, log: silentLogger, clock, limits, freeDisk: async () => 2 ** 52, timeoutMs: 60_000 })
  const allowed = new AllowList(dir, silentLogger)
  const pending = new PendingOffers(clock)
  const intake = new StreamIntake({ receiver, pending, consent: new Consent(transport.localId, async () => undefined, allowed), memberAt: async (e) => (e === member.endpoint ? member : undefined), log: silentLogger })
  const opened = Promise.all([receiver.open(), allowed.open()]).then(() => undefined)
  const net = new MessageRouter()
  const receptor = new MessageRouter()
  registerStreamRoutes({ net, receptor, ownId: transport.localId, intake, sources: new StreamSources(clock, silentLogger), allowed, pending, transport, selfEndpoint: () => endpoint, ready: () => opened, log: silentLogger })
  transport.onMessage((m, r) => (receptor.has(m.kind) && !net.has(m.kind) ? receptor : net).handle(m, r))
  await opened
  const owner = new HttpsTransport({ signer, log: silentLogger })
  return { endpoint, transport, owner }
}

const held: Socket[] = []
const silent = createServer((socket) => void held.push(socket)) // accepts, never answers
await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
const member = { id: 'ed' + '11'.repeat(32), endpoint: `127.0.0.1:${(silent.address() as { port: number }).port}` }
const size = 2 ** 40
const chunkSize = size / MAX_OFFER_CHUNKS // 16 MiB: the most chunks an offer may list
const offerBody = () => ({ streamId: randomBytes(32).toString('hex'), size, chunkSize, chunks: Array.from({ length: MAX_OFFER_CHUNKS }, () => randomBytes(32).toString('hex')), endpoint: member.endpoint })

const dir = await mkdtemp(join(tmpdir(), 'borg-bench-offers-'))
try {
  const node = await receivingNode(dir, 2 ** 52, member)
  console.log(`baseline (node up, no streams): ${memory()}`)
  for (let i = 0; i < offers; i++) {
    const reply = await request(node.owner, { endpoint: node.endpoint }, jsonMessage(STREAM_KIND.offer, offerBody()), 60_000)
    if (i === 0) console.log(`first reply: ${new TextDecoder().decode(reply.body).slice(0, 120)}`)
  }
  await new Promise((r) => setTimeout(r, 2000))
  console.log(`${offers} offers of ${size} bytes in ${MAX_OFFER_CHUNKS} chunks, all pulling: ${memory()}`)
  let apparent = 0
  let allocated = 0
  for (const name of await readdir(join(dir, 'partial'))) {
    const s = await stat(join(dir, 'partial', name))
    apparent += s.size
    allocated += s.blocks * 512
  }
  console.log(`partial files: ${apparent} bytes apparent, ${allocated} bytes allocated`)
  await Promise.all([node.transport.close(), node.owner.close()])

  const fresh = await mkdtemp(join(tmpdir(), 'borg-bench-offers-'))
  const capped = await receivingNode(fresh, undefined, member)
  const answer = await request(capped.owner, { endpoint: capped.endpoint }, jsonMessage(STREAM_KIND.offer, offerBody()), 60_000).then(
    () => 'accepted',
    (e: Error) => e.message,
  )
  console.log(`the same offer under the default quota: ${answer}`)
  await Promise.all([capped.transport.close(), capped.owner.close()])
  await rm(fresh, { recursive: true, force: true })
} finally {
  for (const s of held) s.destroy()
  silent.close()
  await rm(dir, { recursive: true, force: true })
}
