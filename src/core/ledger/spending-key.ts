/**
 * Spending keys (docs/ledger.md "Spending keys", docs/protocol.md §11). An
 * account is its identity (a secp256k1 key: its Dogecoin-style address), and
 * a secp256k1 signature costs a representative ~0.4 ms to verify, four times
 * an Ed25519 one; every representative verifies every block. So a wallet
 * signs its blocks with an Ed25519 key derived from the identity's secret,
 * which the identity authorizes once per network: the authorization is the
 * identity's signature over
 *
 *   "BSHK" · version 1 · network (32) · account key id · spending key id
 *
 * and travels in each block the spending key signs (verifiers check it once
 * and remember it). The key is derived, not stored: the 24 words restore it,
 * and whoever holds it holds the identity's secret too, so it needs no
 * revocation of its own.
 */
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, concatBytes, utf8 } from '../bytes.js'
import { ALG_ED25519, ALG_SECP256K1, isValidKeyId, verifyByKeyId } from '../crypto/key-id.js'
import { ed25519Signer, type Signer } from '../identity/signer.js'

export const AUTHORIZATION_MAGIC = Uint8Array.of(0x42, 0x53, 0x48, 0x4b) // "BSHK"
export const AUTHORIZATION_VERSION = 1

/** A spending key with the identity's authorization for one network: what a block signed by it carries. */
export interface Spending {
  key: Uint8Array
  authorization: Uint8Array
}

/** The Ed25519 spending key of an identity: HKDF-SHA256 of its secret key (salt and info fixed, docs/ledger.md). */
export function spendingSignerOf(identitySecretKey: Uint8Array): Signer {
  const seed = hkdf(nobleSha256, identitySecretKey, utf8.encode('borg ledger spending key'), utf8.encode('ed25519 v1'), 32)
  try {
    return ed25519Signer(seed)
  } finally {
    seed.fill(0)
  }
}

export function authorizationMessage(network: Uint8Array, account: Uint8Array, key: Uint8Array): Uint8Array {
  return concatBytes(AUTHORIZATION_MAGIC, Uint8Array.of(AUTHORIZATION_VERSION), network, account, key)
}

/** The identity authorizes its spending key on `network`. */
export function authorize(identity: { keyId: Uint8Array; sign(message: Uint8Array): Uint8Array }, network: Uint8Array, spending: { keyId: Uint8Array }): Spending {
  return { key: spending.keyId, authorization: identity.sign(authorizationMessage(network, identity.keyId, spending.keyId)) }
}

// Accounts sign many blocks with one authorization: verdicts are remembered (bounded).
const CHECKED_LIMIT = 16_384
const checked = new Set<string>()

/**
 * Whether `spending` is an Ed25519 key the identity `account` (secp256k1) authorized on `network`.
 * Only identities delegate to spending keys, and only to Ed25519 ones.
 */
export function isAuthorized(network: Uint8Array, account: Uint8Array, spending: Spending): boolean {
  if (account[0] !== ALG_SECP256K1 || spending.key[0] !== ALG_ED25519 || !isValidKeyId(spending.key)) return false
  const key = `${bytesToHex(network)}:${bytesToHex(account)}:${bytesToHex(spending.key)}:${bytesToHex(spending.authorization)}`
  if (checked.has(key)) return true
  if (!verifyByKeyId(account, spending.authorization, authorizationMessage(network, account, spending.key))) return false
  if (checked.size >= CHECKED_LIMIT) checked.delete(checked.values().next().value!)
  checked.add(key)
  return true
}
