import { generateKeyPair } from '../../src/core/crypto/secp256k1.js'
import { generateEd25519SecretKey } from '../../src/core/crypto/ed25519.js'
import { ed25519Signer, signerFromSecretKey, type Signer } from '../../src/core/identity/signer.js'

export type TestAlgorithm = 'ed25519' | 'secp256k1'
export const ALGORITHMS: TestAlgorithm[] = ['ed25519', 'secp256k1']

/** A fresh signer: Ed25519 like a node key (default) or secp256k1 like an identity. */
export function testSigner(algorithm: TestAlgorithm = 'ed25519'): Signer & { secretKey: Uint8Array } {
  const secretKey = algorithm === 'ed25519' ? generateEd25519SecretKey() : generateKeyPair().secretKey
  const signer = algorithm === 'ed25519' ? ed25519Signer(secretKey) : signerFromSecretKey(secretKey)
  return { keyId: signer.keyId, publicKey: signer.publicKey, sign: signer.sign, secretKey }
}

/** A Clock whose time only moves when the test says so. */
export function manualClock(start = 1_700_000_000_000) {
  let now = start
  return {
    now: () => now,
    monotonic: () => now,
    after: () => ({ cancel() {} }),
    set: (value: number) => void (now = value),
    advance: (ms: number) => void (now += ms),
  }
}
