/**
 * `borg node ping` as a library call: pin the node, send `count` signed pings,
 * verify every pong, report round-trip times.
 */
import { bytesToHex } from '../bytes.js'
import { parseKeyIdHex } from '../crypto/key-id.js'
import type { Signer } from '../identity/signer.js'
import { createLogger } from '../log.js'
import { formatEndpoint, parseEndpoint } from '../net/endpoint.js'
import { HttpsTransport } from '../net/https-transport.js'
import { SystemClock } from '../time/system-clock.js'
import { ping, type PingResult } from './ping.js'

export interface PingRunOptions {
  endpoint: string
  /** Node id (hex key id) the peer must have. */
  expect?: string
  count: number
  intervalMs: number
  timeoutMs: number
  signer: Signer
  onPinned?: (pin: { nodeId: string; certSha256: string }) => void
  onPong?: (result: PingResult) => void
}

export interface PingRunReport {
  endpoint: string
  peer: string
  certSha256: string
  signedAs: string
  rtt: number[]
  peerVersion: string
}

export async function runPings(options: PingRunOptions): Promise<PingRunReport> {
  const endpoint = formatEndpoint(parseEndpoint(options.endpoint))
  const expect = options.expect === undefined ? undefined : bytesToHex(parseKeyIdHex(options.expect, 'the expected node id'))
  const clock = new SystemClock()
  const transport = new HttpsTransport({ signer: options.signer, clock, timeoutMs: options.timeoutMs, log: createLogger('ping') })
  try {
    const pin = await transport.client.resolvePin(endpoint, expect)
    options.onPinned?.(pin)
    const results: PingResult[] = []
    for (let seq = 1; seq <= options.count; seq++) {
      const result = await ping(transport, { endpoint, id: pin.nodeId }, clock, seq, options.timeoutMs)
      results.push(result)
      options.onPong?.(result)
      if (seq < options.count && options.intervalMs > 0) await new Promise((resolve) => setTimeout(resolve, options.intervalMs))
    }
    return {
      endpoint,
      peer: pin.nodeId,
      certSha256: pin.certSha256,
      signedAs: transport.localId,
      rtt: results.map((r) => Number(r.rttMs.toFixed(3))),
      peerVersion: results[0]!.pong.version,
    }
  } finally {
    await transport.close()
  }
}
