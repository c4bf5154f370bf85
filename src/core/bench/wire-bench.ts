/**
 * `borg bench wire`: what the signed wire costs, each figure next to a
 * baseline measured in the same run (these machines are noisy; only ratios are
 * stable). The far side runs in a second process (`borg bench serve`).
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https'
import { cpus } from 'node:os'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { BorgError } from '../errors.js'
import { silentLogger } from '../log.js'
import { sha256 } from '../crypto/hash.js'
import { generateKeyPair, verifyBackend } from '../crypto/secp256k1.js'
import { ed25519Backend, ed25519PublicKeyOf, ed25519Sign, ed25519Verify, generateEd25519SecretKey } from '../crypto/ed25519.js'
import { ed25519Signer, signerFromSecretKey } from '../identity/signer.js'
import { sealToBytes, type EnvelopeSigner } from '../envelope/seal.js'
import { EnvelopeVerifier } from '../envelope/verifier.js'
import { SystemClock } from '../time/system-clock.js'
import type { Outgoing } from '../wire/message.js'
import { cryptoRandom } from '../crypto/random.js'
import { deliver, request } from '../messaging/requests.js'
import { HttpsTransport } from '../net/https-transport.js'
import { runtimeName, selfCommand } from '../process/self-command.js'
import { BENCH_CODECS, MAX_BENCH_BYTES, type BenchServerInfo } from './bench-server.js'
import { median, opsPerSecond, percentile } from './stats.js'

export interface WireBenchOptions {
  /** Seconds per rate measurement. */
  seconds: number
  bulkBytes: number
  bulkRounds: number
  concurrency: number
  progress: (line: string) => void
}

export interface Comparison {
  borg: number
  baseline: number
  ratio: number
  unit: string
}

export interface WireBenchReport {
  runtime: string
  cpus: number
  verifyBackend: string
  ed25519Backend: string
  /** Envelope seal/verify vs the bare primitive, for each signature algorithm. */
  crypto: { algorithm: string; baseline: string; sign: Comparison; verify: Comparison }[]
  /** Small signed messages on a link (§4.5), the default. */
  requestReply: RequestReplyFigures
  /** The same with every message an HTTP request of its own (BORG_LINKS=0, the wire before links). */
  requestReplyPerRequest: RequestReplyFigures
  upload: Comparison & { bytes: number }
  /** Upload when the sender already knows the body's hash (content-addressed chunks). */
  uploadKnownHash: Comparison & { bytes: number }
  download: Comparison & { bytes: number }
  /** SHA-256 throughput of this CPU: each side hashes every signed byte once. */
  sha256MBps: number
}

export type RequestReplyFigures = Comparison & { p50Ms: number; p99Ms: number; baselineP50Ms: number; concurrency: number }

const compare = (borg: number, baseline: number, unit: string): Comparison => ({ borg, baseline, ratio: borg / baseline, unit })

export async function runWireBench(options: WireBenchOptions): Promise<WireBenchReport> {
  const { progress } = options
  progress(`crypto: ${options.seconds} s per figure`)
  const cryptoFigures = measureCrypto(options.seconds * 1000)
  progress('starting the far side (borg bench serve) in a second process')
  const server = await spawnBenchServer()
  const client = new HttpsTransport({
    signer: ed25519Signer(generateEd25519SecretKey()), // node-to-node traffic: Ed25519 node keys
    log: silentLogger,
    timeoutMs: 120_000,
    verifier: { maxBodyBytes: MAX_BENCH_BYTES },
  })
  const perRequest = new HttpsTransport({
    signer: ed25519Signer(generateEd25519SecretKey()),
    log: silentLogger,
    timeoutMs: 120_000,
    verifier: { maxBodyBytes: MAX_BENCH_BYTES },
    links: false,
  })
  const plainAgent = new HttpsAgent({ keepAlive: true, rejectUnauthorized: false, maxSockets: options.concurrency })
  try {
    const peer = { endpoint: server.info.borg, id: server.info.nodeId }
    progress(`signed request/reply: ${options.concurrency} in flight for ${options.seconds} s on a link, then one HTTP request each, then plain https`)
    const small = { hello: 'borg', n: 12345, padding: 'x'.repeat(100) }
    const borgRR = await closedLoop(options, () => request(client, peer, BENCH_CODECS.echo.encode(small)).then(() => {}))
    const perRequestRR = await closedLoop(options, () => request(perRequest, peer, BENCH_CODECS.echo.encode(small)).then(() => {}))
    const plainRR = await closedLoop(options, () => plainPost(plainAgent, server.info.plain, Buffer.from(JSON.stringify(small))).then(() => {}))
    const figures = (rr: typeof borgRR): RequestReplyFigures => ({
      ...compare(rr.rate, plainRR.rate, 'req/s'),
      p50Ms: percentile(rr.latencies, 50),
      p99Ms: percentile(rr.latencies, 99),
      baselineP50Ms: percentile(plainRR.latencies, 50),
      concurrency: options.concurrency,
    })
    const payload = new Uint8Array(options.bulkBytes).map((_, i) => (i * 7) & 0xff)
    const mb = options.bulkBytes / 1e6
    progress(`bulk: ${options.bulkRounds} x ${mb} MB up and down, borg and plain https interleaved`)
    const up = { borg: [] as number[], plain: [] as number[], knownHash: [] as number[] }
    const payloadHash = sha256(payload)
    const down = { borg: [] as number[], plain: [] as number[] }
    const sink = BENCH_CODECS.sink.encode(payload)
    await deliver(client, peer, sink) // warm-up: connection, JIT
    await plainPost(plainAgent, server.info.plain, payload)
    for (let round = 0; round < options.bulkRounds; round++) {
      up.borg.push(mb / (await timed(() => deliver(client, peer, sink))))
      up.plain.push(mb / (await timed(() => plainPost(plainAgent, server.info.plain, payload))))
      up.knownHash.push(mb / (await timed(() => deliver(client, peer, { ...sink, bodyHash: payloadHash }))))
      down.borg.push(
        mb /
          (await timed(async () => {
            const reply = await request(client, peer, BENCH_CODECS.blob.encode({ size: options.bulkBytes }), 120_000)
            if (BENCH_CODECS.blobData.decode(reply).length !== options.bulkBytes) throw new BorgError('bad-reply', 'short blob')
          })),
      )
      down.plain.push(mb / (await timed(() => plainGet(plainAgent, server.info.plain, options.bulkBytes))))
    }
    return {
      runtime: runtimeName(),
      cpus: cpus().length,
      verifyBackend: verifyBackend(),
      ed25519Backend: ed25519Backend(),
      crypto: cryptoFigures,
      requestReply: figures(borgRR),
      requestReplyPerRequest: figures(perRequestRR),
      upload: { ...compare(median(up.borg), median(up.plain), 'MB/s'), bytes: options.bulkBytes },
      uploadKnownHash: { ...compare(median(up.knownHash), median(up.plain), 'MB/s'), bytes: options.bulkBytes },
      sha256MBps: mb / (await timed(async () => void sha256(payload))),
      download: { ...compare(median(down.borg), median(down.plain), 'MB/s'), bytes: options.bulkBytes },
    }
  } finally {
    plainAgent.destroy()
    await perRequest.close()
    await client.close()
    server.stop()
  }
}

function measureCrypto(ms: number): WireBenchReport['crypto'] {
  const body = new TextEncoder().encode(JSON.stringify({ hello: 'borg', n: 12345, padding: 'x'.repeat(100) }))
  const clock = new SystemClock()
  const message = { ...BENCH_CODECS.echo.encode({}), body }

  // secp256k1 (user identities) against bare noble, as the issue of record asks.
  const k1 = generateKeyPair()
  const k1Signer = signerFromSecretKey(k1.secretKey)
  const digest = sha256(body)
  const k1Signature = secp256k1.sign(digest, k1.secretKey, { prehash: false })
  const secp = {
    algorithm: 'secp256k1 (identity)',
    baseline: 'bare noble secp256k1',
    sign: compare(
      opsPerSecond(() => void sealToBytes(k1Signer, message, { timestamp: clock.now(), random: cryptoRandom }), ms),
      opsPerSecond(() => void secp256k1.sign(digest, k1.secretKey, { prehash: false }), ms),
      'ops/s',
    ),
    verify: compare(
      envelopeVerifyRate(k1Signer, message, ms),
      opsPerSecond(() => void secp256k1.verify(k1Signature, digest, k1.publicKey, { prehash: false }), ms),
      'ops/s',
    ),
  }

  // Ed25519 (node keys) against the same primitive called bare.
  const edSecret = generateEd25519SecretKey()
  const edPublic = ed25519PublicKeyOf(edSecret)
  const edSigner = ed25519Signer(edSecret)
  const signedPart = new Uint8Array(165).fill(7) // the size of a typical signed header
  const edSignature = ed25519Sign(signedPart, edSecret)
  const ed = {
    algorithm: 'Ed25519 (node)',
    baseline: `bare Ed25519 (${ed25519Backend() === 'native' ? 'node:crypto' : 'noble'})`,
    sign: compare(
      opsPerSecond(() => void sealToBytes(edSigner, message, { timestamp: clock.now(), random: cryptoRandom }), ms),
      opsPerSecond(() => void ed25519Sign(signedPart, edSecret), ms),
      'ops/s',
    ),
    verify: compare(envelopeVerifyRate(edSigner, message, ms), opsPerSecond(() => void ed25519Verify(edSignature, signedPart, edPublic), ms), 'ops/s'),
  }
  return [secp, ed]
}

/** Full receive-side verification (parse, window, replay, signature, body hash) of distinct envelopes. */
function envelopeVerifyRate(signer: EnvelopeSigner, message: Outgoing, ms: number): number {
  const clock = new SystemClock()
  const pool: Uint8Array[] = []
  const poolUntil = performance.now() + ms
  while (pool.length < 200 || (performance.now() < poolUntil && pool.length < 100_000)) {
    pool.push(sealToBytes(signer, message, { timestamp: clock.now(), random: cryptoRandom }))
  }
  const verifier = new EnvelopeVerifier({ localId: signer.keyId, clock, replayCapacity: 1_000_000 })
  for (let i = 0; i < 200; i++) verifier.verifyBytes(pool[i]!) // warm-up
  let verified = 200
  const started = performance.now()
  while (verified < pool.length && performance.now() - started < ms) verifier.verifyBytes(pool[verified++]!)
  return ((verified - 200) * 1000) / (performance.now() - started)
}

async function closedLoop(options: WireBenchOptions, once: () => Promise<void>): Promise<{ rate: number; latencies: number[] }> {
  for (let i = 0; i < 20; i++) await once() // warm-up
  const latencies: number[] = []
  const end = performance.now() + options.seconds * 1000
  const start = performance.now()
  const worker = async () => {
    while (performance.now() < end) {
      const t = performance.now()
      await once()
      latencies.push(performance.now() - t)
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker))
  return { rate: (latencies.length * 1000) / (performance.now() - start), latencies }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now()
  await fn()
  return (performance.now() - t) / 1000
}

function plainPost(agent: HttpsAgent, endpoint: string, body: Uint8Array): Promise<Buffer> {
  const [host, port] = endpoint.split(':')
  return plainExchange({ agent, host, port, method: 'POST', path: '/', headers: { 'content-length': body.length } }, body)
}

function plainGet(agent: HttpsAgent, endpoint: string, size: number): Promise<Buffer> {
  const [host, port] = endpoint.split(':')
  return plainExchange({ agent, host, port, method: 'GET', path: `/?size=${size}` }).then((b) => {
    if (b.length !== size) throw new Error('short plain body')
    return b
  })
}

function plainExchange(options: RequestOptions, body?: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(options, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve(Buffer.concat(chunks)))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

async function spawnBenchServer(): Promise<{ info: BenchServerInfo; stop(): void }> {
  const self = selfCommand()
  const child = spawn(self.command, [...self.args, 'bench', 'serve', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout! })
  const info = await new Promise<BenchServerInfo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new BorgError('timeout', 'bench server did not start within 30 s')), 30_000)
    child.once('exit', (code) => reject(new BorgError('unavailable', `bench server exited with ${code}`)))
    lines.once('line', (line) => {
      clearTimeout(timer)
      try {
        resolve(JSON.parse(line) as BenchServerInfo)
      } catch {
        reject(new BorgError('bad-reply', `bench server printed ${line}`))
      }
    })
  })
  return { info, stop: () => void child.kill('SIGTERM') }
}
