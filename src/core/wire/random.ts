/** Randomness as protocol code sees it: crypto-strong for real nodes, seeded in simulation. */

export interface Random {
  bytes(length: number): Uint8Array
  /** Uniform float in [0, 1). */
  float(): number
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number
}
