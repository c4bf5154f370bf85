/**
 * A key id names a signer on the wire: one algorithm byte, then the public key.
 *
 *   0x01 secp256k1, 33-byte compressed key  (user identities: the Dogecoin key)
 *   0xed Ed25519,   32-byte key             (node keys: fast to sign and verify)
 *
 * Node ids, envelope senders and node targets are key ids; in text they are
 * the hex of these bytes (so a node id reads "ed…", 66 hex characters).
 */
import { BorgError } from '../errors.js'
import { bytesToHex, concatBytes } from '../bytes.js'
import { KeyCache } from './key-cache.js'
import { sha256 } from './hash.js'
import { isValidPublicKey, verify as secp256k1Verify } from './secp256k1.js'
import { ed25519Verify, isValidEd25519PublicKey } from './ed25519.js'

export const ALG_SECP256K1 = 0x01
export const ALG_ED25519 = 0xed
export type KeyAlgorithm = typeof ALG_SECP256K1 | typeof ALG_ED25519

/** Public key length per algorithm; undefined for unknown algorithms. */
export const KEY_BYTES: Readonly<Record<number, number>> = { [ALG_SECP256K1]: 33, [ALG_ED25519]: 32 }
export const MAX_KEY_ID_BYTES = 34

export function keyId(algorithm: KeyAlgorithm, publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== KEY_BYTES[algorithm]) throw new BorgError('invalid-input', `public key has the wrong length for algorithm 0x${algorithm.toString(16)}`)
  return concatBytes(Uint8Array.of(algorithm), publicKey)
}

export function keyIdLength(algorithm: number): number | undefined {
  const n = KEY_BYTES[algorithm]
  return n === undefined ? undefined : n + 1
}

// Decoding a point costs a square root in pure JS (~0.2 ms under node); every
// envelope header is checked and peers reuse their keys, so verdicts are remembered.
const validity = new KeyCache<boolean>(4096, (id) =>
  id[0] === ALG_SECP256K1 ? isValidPublicKey(id.subarray(1)) : isValidEd25519PublicKey(id.subarray(1)),
)

/** The key id is well formed: known algorithm, right length, a valid point. */
export function isValidKeyId(id: Uint8Array): boolean {
  const algorithm = id[0]
  if (algorithm === undefined || id.length !== keyIdLength(algorithm)) return false
  return validity.get(id)
}

/**
 * Verify a signature by `signer` over `message`:
 * secp256k1 signs SHA-256(message) (ECDSA, low-S, r||s); Ed25519 signs the message itself.
 */
export function verifyByKeyId(id: Uint8Array, signature: Uint8Array, message: Uint8Array): boolean {
  const key = id.subarray(1)
  switch (id[0]) {
    case ALG_SECP256K1:
      return secp256k1Verify(signature, message, key)
    case ALG_ED25519:
      return ed25519Verify(signature, message, key)
    default:
      return false
  }
}

export function keyIdHex(id: Uint8Array): string {
  return bytesToHex(id)
}

const KEY_ID_TEXT = /^(?:01(?:02|03)[0-9a-f]{64}|ed[0-9a-f]{64})$/

/** Whether `value` is a key id written as lower-case hex ("ed" + 64 hex, or "01" + 66 hex starting 02/03). */
export function isKeyIdHex(value: unknown): value is string {
  return typeof value === 'string' && KEY_ID_TEXT.test(value)
}

/** Parse a key id from text ("ed" + 64 hex, or "01" + 66 hex). */
export function parseKeyIdHex(text: string, what = 'node id'): Uint8Array {
  const lower = text.trim().toLowerCase()
  if (!KEY_ID_TEXT.test(lower)) {
    throw new BorgError('usage', `${what} must be a key id in hex: "ed" + 64 hex digits (a node) or "01" + 66 hex digits (an identity)`)
  }
  const id = Uint8Array.from(Buffer.from(lower, 'hex'))
  if (!isValidKeyId(id)) throw new BorgError('invalid-input', `${what} is not a valid public key`)
  return id
}

/** Short, stable text for logs: algorithm tag plus the first bytes. */
export function shortKeyId(id: Uint8Array | string): string {
  const hex = typeof id === 'string' ? id : bytesToHex(id)
  return `${hex.slice(0, 18)}…`
}

