/**
 * secp256k1 ECDSA over SHA-256, the one signature scheme borg uses.
 *
 * - Signing: noble (RFC 6979 deterministic nonces, low-S), identical in node and bun.
 * - Verification: node:crypto (OpenSSL) when it knows the curve, because it is
 *   ~6x faster than pure JS under node; bun's BoringSSL lacks secp256k1, so there
 *   we fall back to noble. Both paths enforce low-S so they accept exactly the
 *   same signatures (test/crypto/secp256k1.test.ts cross-checks them).
 */
import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToHex } from '../bytes.js'
import { sha256 } from './hash.js'
import { KeyCache } from './key-cache.js'

export const PUBLIC_KEY_BYTES = 33
export const SECRET_KEY_BYTES = 32
export const SIGNATURE_BYTES = 64

const HALF_ORDER = secp256k1.Point.CURVE().n >> 1n
// DER SubjectPublicKeyInfo prefix for an id-ecPublicKey on secp256k1 with a 33-byte compressed point.
const SPKI_PREFIX = Uint8Array.from(Buffer.from('3036301006072a8648ce3d020106052b8104000a032200', 'hex'))

export interface KeyPair {
  secretKey: Uint8Array
  publicKey: Uint8Array // 33-byte compressed
}

export function generateKeyPair(): KeyPair {
  const secretKey = secp256k1.utils.randomSecretKey()
  return { secretKey, publicKey: secp256k1.getPublicKey(secretKey, true) }
}

export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  return secp256k1.getPublicKey(secretKey, true)
}

export function isValidPublicKey(publicKey: Uint8Array): boolean {
  if (publicKey.length !== PUBLIC_KEY_BYTES) return false
  try {
    secp256k1.Point.fromBytes(publicKey)
    return true
  } catch {
    return false
  }
}

export function isValidSecretKey(secretKey: Uint8Array): boolean {
  return secp256k1.utils.isValidSecretKey(secretKey)
}

/** Compact 64-byte r||s signature of SHA-256(message), low-S. */
export function sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return secp256k1.sign(sha256(message), secretKey, { prehash: false, lowS: true })
}

function isLowS(signature: Uint8Array): boolean {
  let s = 0n
  for (let i = 32; i < 64; i++) s = (s << 8n) | BigInt(signature[i]!)
  return s > 0n && s <= HALF_ORDER
}

type Verifier = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean

// Pure-JS verification (bun: its BoringSSL has no secp256k1). Peers sign many
// messages with one key, so the decoded point is cached and, from its second
// use, given a precomputed window table: ~1.6x faster verification for a
// bounded memory cost (~100 KB per cached key, at most POINT_CACHE_LIMIT keys).
type Point = InstanceType<typeof secp256k1.Point>
const Fn = secp256k1.Point.Fn
const POINT_CACHE_LIMIT = 128
const points = new Map<string, { point: Point; uses: number }>()

function cachedPoint(publicKey: Uint8Array): Point {
  const id = bytesToHex(publicKey)
  let entry = points.get(id)
  if (entry) {
    points.delete(id) // re-insert: Map order is our LRU order
  } else {
    entry = { point: secp256k1.Point.fromBytes(publicKey), uses: 0 }
    if (points.size >= POINT_CACHE_LIMIT) points.delete(points.keys().next().value!)
  }
  points.set(id, entry)
  if (++entry.uses === 2) entry.point.precompute(4)
  return entry.point
}

function nobleVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    const sig = secp256k1.Signature.fromBytes(signature) // enforces 1 <= r, s < n
    if (sig.hasHighS()) return false
    const point = cachedPoint(publicKey)
    const z = Fn.create(BigInt(`0x${bytesToHex(sha256(message))}`))
    const w = Fn.inv(sig.s)
    const R = secp256k1.Point.BASE.multiply(Fn.mul(z, w)).add(point.multiply(Fn.mul(sig.r, w)))
    return !R.is0() && Fn.create(R.toAffine().x) === sig.r
  } catch {
    return false
  }
}

// Parsed public keys are cached: peers sign many messages with the same key.
const keyObjects = new KeyCache<KeyObject | null>(4096, (publicKey) => {
  try {
    if (!isValidPublicKey(publicKey)) return null
    return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' })
  } catch {
    return null
  }
})

function opensslVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_BYTES || !isLowS(signature)) return false
  const key = keyObjects.get(publicKey)
  if (!key) return false
  try {
    return nodeVerify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature)
  } catch {
    return false
  }
}

function detectBackend(): { name: 'openssl' | 'noble'; verify: Verifier } {
  try {
    const probe = generateKeyPair()
    const message = new Uint8Array([1, 2, 3])
    const signature = sign(message, probe.secretKey)
    if (opensslVerify(signature, message, probe.publicKey)) return { name: 'openssl', verify: opensslVerify }
  } catch {
    // fall through: this runtime's node:crypto cannot do secp256k1 (bun)
  }
  return { name: 'noble', verify: nobleVerify }
}

let backend: ReturnType<typeof detectBackend> | undefined

/** Verify a compact signature over SHA-256(message). Never throws. */
export function verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_BYTES || publicKey.length !== PUBLIC_KEY_BYTES) return false
  backend ??= detectBackend()
  return backend.verify(signature, message, publicKey)
}

export function verifyBackend(): 'openssl' | 'noble' {
  backend ??= detectBackend()
  return backend.name
}

/** Test hooks: both verifiers, so tests can prove they agree. */
export const __verifiers = { openssl: opensslVerify, noble: nobleVerify }
