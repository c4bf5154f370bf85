/**
 * What signing code gets instead of a raw secret key: a key id (algorithm byte
 * + public key, src/core/crypto/key-id.ts) and a sign function. Verify with
 * `verifyByKeyId(signer.keyId, signature, message)`.
 *
 * - The user identity signs with secp256k1 (its Dogecoin key): ECDSA over
 *   SHA-256(message), compact 64-byte r||s, low-S.
 * - A node signs with Ed25519 (RFC 8032 over the message itself): native in
 *   node and bun, so every node-to-node message can be signed cheaply.
 */
import { ALG_ED25519, ALG_SECP256K1, keyId } from '../crypto/key-id.js'
import { publicKeyOf, sign } from '../crypto/secp256k1.js'
import { ed25519PublicKeyOf, ed25519Sign } from '../crypto/ed25519.js'
import type { IdentityKey } from './derive.js'
import type { NodeKey } from './node-key.js'

export interface Signer {
  /** Algorithm byte + public key: how this signer appears on the wire. */
  readonly keyId: Uint8Array
  /** The bare public key (33-byte compressed secp256k1, or 32-byte Ed25519). */
  readonly publicKey: Uint8Array
  sign(message: Uint8Array): Uint8Array
}

function freeze(id: Uint8Array, publicKey: Uint8Array, signFn: (message: Uint8Array) => Uint8Array): Signer {
  return Object.freeze({
    get keyId() {
      return Uint8Array.from(id)
    },
    get publicKey() {
      return Uint8Array.from(publicKey)
    },
    sign: signFn,
  })
}

/** A secp256k1 signer; the secret stays in the closure. */
export function signerFromSecretKey(secretKey: Uint8Array): Signer {
  const secret = Uint8Array.from(secretKey)
  const publicKey = publicKeyOf(secret)
  return freeze(keyId(ALG_SECP256K1, publicKey), publicKey, (message) => sign(message, secret))
}

/** An Ed25519 signer from its 32-byte secret key (seed). */
export function ed25519Signer(secretKey: Uint8Array): Signer {
  const secret = Uint8Array.from(secretKey)
  const publicKey = ed25519PublicKeyOf(secret)
  return freeze(keyId(ALG_ED25519, publicKey), publicKey, (message) => ed25519Sign(message, secret))
}

/** Signs as the user's identity (the key at m/44'/3'/0'/0/0 of the unlocked seed). */
export function identitySigner(key: IdentityKey): Signer {
  return signerFromSecretKey(key.secretKey)
}

/** Signs as this node (node-key.json); its key id is the node id. */
export function nodeSigner(key: NodeKey): Signer {
  return ed25519Signer(key.secretKey)
}
