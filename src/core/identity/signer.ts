/**
 * What signing code gets instead of a raw secret key: the public key and a
 * sign function. Signatures are secp256k1 compact 64-byte r||s, low-S, over
 * SHA-256(message) (see src/core/crypto/secp256k1.ts), verifiable with
 * `verify(signature, message, signer.publicKey)`.
 */
import { publicKeyOf, sign } from '../crypto/secp256k1.js'
import type { IdentityKey } from './derive.js'
import type { NodeKey } from './node-key.js'

export interface Signer {
  /** 33-byte compressed secp256k1 public key. */
  readonly publicKey: Uint8Array
  sign(message: Uint8Array): Uint8Array
}

/** The secret stays in the closure; the returned object exposes only the public key. */
export function signerFromSecretKey(secretKey: Uint8Array): Signer {
  const secret = Uint8Array.from(secretKey)
  const publicKey = publicKeyOf(secret)
  return Object.freeze({
    get publicKey() {
      return Uint8Array.from(publicKey)
    },
    sign: (message: Uint8Array) => sign(message, secret),
  })
}

/** Signs as the user's identity (the key at m/44'/3'/0'/0/0 of the unlocked seed). */
export function identitySigner(key: IdentityKey): Signer {
  return signerFromSecretKey(key.secretKey)
}

/** Signs as this node (node-key.json); the public key is the node id. */
export function nodeSigner(key: NodeKey): Signer {
  return signerFromSecretKey(key.secretKey)
}
