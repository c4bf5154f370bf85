/** Randomness as protocol code sees it: crypto-strong for real nodes, seeded in simulation. */
import { randomBytes } from 'node:crypto'

export interface Random {
  bytes(length: number): Uint8Array
  /** Uniform float in [0, 1). */
  float(): number
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number
}

export const cryptoRandom: Random = {
  bytes: (length) => new Uint8Array(randomBytes(length)),
  float: () => randomBytes(6).readUIntBE(0, 6) / 2 ** 48,
  int: (maxExclusive) => Math.floor((randomBytes(6).readUIntBE(0, 6) / 2 ** 48) * maxExclusive),
}
