/**
 * The node's TLS certificate: self-signed ECDSA P-256, generated in-process
 * (no openssl binary), kept in $BORG_HOME/node/tls. Its trust comes only from
 * the node card (card.ts), which binds its SHA-256 to the node's identity key.
 */
import type * as X509 from '@peculiar/x509'
import { webcrypto, X509Certificate } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { BorgError } from '../errors.js'
import { bytesToHex } from '../bytes.js'
import { sha256 } from '../crypto/hash.js'
import { writeFileAtomic } from '../store/atomic-file.js'

// @peculiar/x509's DI container (tsyringe) needs the reflect-metadata polyfill
// evaluated first. A static import order is not enough: the bundler may hoist or
// reorder side-effect-only imports inside lazily loaded chunks (the binary broke
// exactly so), so the order is made explicit here.
let x509Module: Promise<typeof X509> | undefined
function loadX509(): Promise<typeof X509> {
  x509Module ??= import('reflect-metadata').then(async () => {
    const x509 = await import('@peculiar/x509')
    x509.cryptoProvider.set(webcrypto as never) // node:crypto.webcrypto is a Crypto; the DOM type is not in our lib set
    return x509
  })
  return x509Module
}

export interface TlsMaterial {
  keyPem: string
  certPem: string
  /** Hex SHA-256 of the DER certificate: what peers pin. */
  certSha256: string
  notAfter: number
}

const VALIDITY_MS = 10 * 365 * 86_400_000
const RENEW_BEFORE_MS = 30 * 86_400_000

export async function generateTlsMaterial(commonName: string, now = Date.now()): Promise<TlsMaterial> {
  const x509 = await loadX509()
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair
  const serial = webcrypto.getRandomValues(new Uint8Array(12))
  serial[0] = (serial[0]! & 0x7f) | 0x01 // positive, non-zero leading byte
  const notAfter = now + VALIDITY_MS
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: bytesToHex(serial),
    name: `CN=${commonName}`,
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(notAfter),
    signingAlgorithm: algorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    ],
  })
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64')
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`
  return { keyPem, certPem: `${cert.toString('pem')}\n`, certSha256: bytesToHex(sha256(new Uint8Array(cert.rawData))), notAfter }
}

/** Parse a PEM certificate and compute what peers pin. */
export function describeCertificate(certPem: string): { certSha256: string; notAfter: number } {
  const cert = new X509Certificate(certPem)
  return { certSha256: bytesToHex(sha256(new Uint8Array(cert.raw))), notAfter: Date.parse(cert.validTo) }
}

/** Load the node's certificate from `dir`, creating (or renewing) it when needed. */
export async function loadOrCreateTlsMaterial(dir: string, commonName: string): Promise<TlsMaterial> {
  const keyPath = join(dir, 'key.pem')
  const certPath = join(dir, 'cert.pem')
  const existing = await readExisting(keyPath, certPath)
  if (existing && existing.notAfter - Date.now() > RENEW_BEFORE_MS) return existing
  const material = await generateTlsMaterial(commonName)
  await writeFileAtomic(keyPath, material.keyPem, 0o600)
  await writeFileAtomic(certPath, material.certPem, 0o644)
  return material
}

async function readExisting(keyPath: string, certPath: string): Promise<TlsMaterial | undefined> {
  let keyPem: string
  let certPem: string
  try {
    ;[keyPem, certPem] = await Promise.all([readFile(keyPath, 'utf8'), readFile(certPath, 'utf8')])
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  try {
    return { keyPem, certPem, ...describeCertificate(certPem) }
  } catch (error) {
    throw new BorgError('corrupt-keystore', `cannot parse the node certificate ${certPath}: ${(error as Error).message}; delete it to generate a new one`, { cause: error })
  }
}
