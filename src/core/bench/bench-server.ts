/**
 * The far side of `borg bench wire`, run in its own process: a borg wire node
 * with two bench handlers, and a plain node:https server as the baseline that
 * moves the same bytes without envelopes, signatures or pinning.
 */
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '../log.js'
import { int, json, refusedAs } from '../codec/checks.js'
import { binaryCodec, codecTable, jsonCodec, shapeCodec } from '../codec/codec.js'
import { ANYONE } from '../messaging/router.js'
import { startWireNode } from '../node/wire-node.js'
import { generateTlsMaterial } from '../net/cert.js'

export const SINK_KIND = 'bench.sink'
export const BLOB_KIND = 'bench.blob'
export const ECHO_KIND = 'bench.echo'
export const MAX_BENCH_BYTES = 256 * 1024 * 1024

/** The benchmark's kinds (only between `borg bench wire` and its far side; not part of the protocol). */
export const BENCH_CODECS = codecTable({
  /** One-way bulk upload, dropped once the transport verified it. */
  sink: binaryCodec(SINK_KIND),
  /** Ask for `size` bytes back. */
  blob: shapeCodec(BLOB_KIND, { size: refusedAs('invalid-input', int(0, MAX_BENCH_BYTES)) }),
  blobData: binaryCodec(`${BLOB_KIND}.data`),
  /** Any JSON, answered with itself. */
  echo: jsonCodec(ECHO_KIND, json),
  echoReply: jsonCodec(`${ECHO_KIND}.reply`, json),
})

export interface BenchServerInfo {
  borg: string
  plain: string
  nodeId: string
}

export async function startBenchServer(): Promise<BenchServerInfo & { close(): Promise<void> }> {
  const home = await mkdtemp(join(tmpdir(), 'borg-bench-'))
  const node = await startWireNode({ home, host: '127.0.0.1', port: 0, log: silentLogger, maxBodyBytes: MAX_BENCH_BYTES })
  const blobs = new Map<number, Uint8Array>()
  const blob = (size: number) => {
    let b = blobs.get(size)
    if (!b) blobs.set(size, (b = new Uint8Array(size).map((_, i) => (i * 131) & 0xff)))
    return b
  }
  // One-way bulk upload: verified (signature + body hash) by the transport, then dropped.
  node.router.on(SINK_KIND, ANYONE, () => {})
  node.router.on(BLOB_KIND, ANYONE, (message, responder) => responder?.reply(BENCH_CODECS.blobData.encode(blob(BENCH_CODECS.blob.decode(message).size))))
  node.router.on(ECHO_KIND, ANYONE, (message, responder) => responder?.reply(BENCH_CODECS.echoReply.encode(BENCH_CODECS.echo.decode(message))))

  const tls = await generateTlsMaterial('plain-baseline')
  const plain = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    if (req.method === 'GET') {
      const size = Number(new URL(req.url ?? '/', 'https://x').searchParams.get('size') ?? 0)
      const body = blob(Math.min(size, MAX_BENCH_BYTES))
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length })
      res.end(body)
      return
    }
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length <= 4096 ? body.length : 0 })
      res.end(body.length <= 4096 ? body : undefined) // small bodies echo (request/reply baseline), bulk ones are dropped
    })
  })
  plain.keepAliveTimeout = 65_000
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve))
  return {
    borg: node.endpoint,
    plain: `127.0.0.1:${(plain.address() as AddressInfo).port}`,
    nodeId: node.nodeId,
    close: async () => {
      plain.closeAllConnections()
      await Promise.all([node.close(), new Promise((resolve) => plain.close(resolve))])
      await rm(home, { recursive: true, force: true })
    },
  }
}
