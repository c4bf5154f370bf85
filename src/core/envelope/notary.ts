/** The node key as a Notary: Ed25519 or secp256k1 signatures, checked against the signer's key id. */
import { parseHex } from '../bytes.js'
import { isKeyIdHex, verifyByKeyId } from '../crypto/key-id.js'
import type { Notary } from '../wire/notary.js'
import type { EnvelopeSigner } from './seal.js'

export function signerNotary(signer: EnvelopeSigner): Notary {
  return {
    sign: (bytes) => signer.sign(bytes),
    verify: (id, bytes, signature) => {
      if (!isKeyIdHex(id) || signature.length !== 64) return false
      try {
        return verifyByKeyId(parseHex(id), signature, bytes)
      } catch {
        return false
      }
    },
  }
}
