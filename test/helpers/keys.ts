import { generateKeyPair, sign } from '../../src/core/crypto/secp256k1.js'
import type { EnvelopeSigner } from '../../src/core/envelope/seal.js'

export function testSigner(): EnvelopeSigner & { secretKey: Uint8Array } {
  const { secretKey, publicKey } = generateKeyPair()
  return { secretKey, publicKey, sign: (message) => sign(message, secretKey) }
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
