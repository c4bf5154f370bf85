/** Crypto-strong randomness for real nodes (the simulator's is seeded: src/core/sim/seeded-random.ts). */
import { randomBytes } from 'node:crypto'
import type { Random } from '../wire/random.js'

export const cryptoRandom: Random = {
  bytes: (length) => new Uint8Array(randomBytes(length)),
  float: () => randomBytes(6).readUIntBE(0, 6) / 2 ** 48,
  int: (maxExclusive) => Math.floor((randomBytes(6).readUIntBE(0, 6) / 2 ** 48) * maxExclusive),
}
