/**
 * Certificate pins learned from verified node cards, and the undici connector
 * that enforces them on every TLS connection. Chain validation is off (the
 * certificates are self-signed); the pin is the whole trust decision.
 */
import type { TLSSocket } from 'node:tls'
import { bytesToHex } from '../bytes.js'
import { sha256 } from '../crypto/hash.js'
import { buildConnector } from './undici.js'
import { endpointKey } from './endpoint.js'
import type { NodeCard } from './card.js'

export interface Pin {
  nodeId: string
  certSha256: string
  expiresAt: number
}

export class PinStore {
  private readonly byEndpoint = new Map<string, Pin>()

  get(endpoint: string): Pin | undefined {
    return this.byEndpoint.get(endpoint)
  }

  set(endpoint: string, card: NodeCard): Pin {
    const pin = { nodeId: card.nodeId, certSha256: card.certSha256, expiresAt: card.expiresAt }
    this.byEndpoint.set(endpoint, pin)
    return pin
  }

  delete(endpoint: string): void {
    this.byEndpoint.delete(endpoint)
  }

  get size(): number {
    return this.byEndpoint.size
  }
}

/** SHA-256 (hex) of the certificate the peer presented on this socket. */
export function peerCertificateSha256(socket: TLSSocket): string | undefined {
  const cert = socket.getPeerCertificate?.()
  if (cert?.raw && cert.raw.length > 0) return bytesToHex(sha256(new Uint8Array(cert.raw)))
  // Fallback for runtimes that only expose the fingerprint string (AA:BB:...).
  if (cert?.fingerprint256) return cert.fingerprint256.replaceAll(':', '').toLowerCase()
  return undefined
}

export class TlsPinError extends Error {
  readonly code = 'ERR_BORG_TLS_PIN'
  constructor(
    readonly endpoint: string,
    readonly presented: string | undefined,
    readonly expected: string | undefined,
  ) {
    super(
      expected
        ? `${endpoint} presented certificate ${presented?.slice(0, 16) ?? '(none)'}… but its node card pins ${expected.slice(0, 16)}…`
        : `no certificate pin for ${endpoint}`,
    )
  }
}

const baseOptions = { rejectUnauthorized: false, maxCachedSessions: 0 } as const

/** A connector that refuses any TLS peer whose certificate is not the pinned one. */
export function pinnedConnector(pins: PinStore, timeoutMs: number): buildConnector.connector {
  // Session resumption is off so every connection presents (and we check) a certificate.
  const base = buildConnector({ ...baseOptions, timeout: timeoutMs })
  return (options, callback) => {
    base(options, (error, socket) => {
      if (error) return callback(error, null)
      const endpoint = endpointKey(options.hostname, options.port)
      const expected = pins.get(endpoint)?.certSha256
      const presented = peerCertificateSha256(socket as TLSSocket)
      if (!expected || presented !== expected) {
        socket!.destroy()
        return callback(new TlsPinError(endpoint, presented, expected), null)
      }
      callback(null, socket!)
    })
  }
}

/** A connector that accepts any certificate but reports which one it saw (first contact only). */
export function recordingConnector(timeoutMs: number, seen: (certSha256: string | undefined) => void): buildConnector.connector {
  const base = buildConnector({ ...baseOptions, timeout: timeoutMs })
  return (options, callback) => {
    base(options, (error, socket) => {
      if (error) return callback(error, null)
      seen(peerCertificateSha256(socket as TLSSocket))
      callback(null, socket!)
    })
  }
}
