/**
 * Deterministic randomness for simulation: sfc32 (fast, 128-bit state, passes
 * PractRand far beyond what a test run draws) seeded through splitmix32.
 *
 * Every generator remembers the 64-bit key it was built from, so `fork(label)`
 * derives a child from (key, label) alone: forking never consumes the parent's
 * stream, and adding a consumer (a node, a link) leaves every other stream as it was.
 */
import type { Random } from '../wire/random.js'

const TWO_POW_32 = 4294967296

/** One splitmix32 step: a strong 32-bit mix used to spread seeds and labels. */
export function mix32(value: number): number {
  let z = (value + 0x9e3779b9) | 0
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  return (z ^ (z >>> 16)) >>> 0
}

/** Two independent 32-bit hashes of a string (FNV-1a and a multiplicative variant), then mixed. */
function hashLabel(label: string): [number, number] {
  let h1 = 0x811c9dc5
  let h2 = 0x2545f491
  for (let i = 0; i < label.length; i++) {
    const c = label.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 0x01000193)
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 15)
  }
  return [mix32(h1 ^ label.length), mix32(h2 + label.length)]
}

/** A seed: any number, any string, or an explicit 64-bit key as two uint32. */
export type Seed = number | string | readonly [number, number]

function keyOf(seed: Seed): readonly [number, number] {
  if (typeof seed === 'string') return hashLabel(seed)
  if (typeof seed !== 'number') return [seed[0] >>> 0, seed[1] >>> 0]
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be finite, got ${seed}`)
  const whole = Math.trunc(seed)
  const low = whole >>> 0
  const high = Math.floor(whole / TWO_POW_32) >>> 0
  const k0 = mix32(low ^ 0x5bf03635)
  return [k0, mix32(high ^ k0)]
}

export class SeededRandom implements Random {
  private a = 0
  private b = 0
  private c = 0
  private d = 0
  private readonly k0: number
  private readonly k1: number

  constructor(seed: Seed = 0) {
    const [k0, k1] = keyOf(seed)
    // Kept as int32: a uint32 above 2^31 would be boxed as a heap number, per generator.
    this.k0 = k0 | 0
    this.k1 = k1 | 0
    this.a = mix32(k0)
    this.b = mix32(k1 ^ 0x68e31da4) | 0
    this.c = mix32(k0 ^ k1 ^ 0xb5297a4d) | 0
    this.d = 1
    // sfc32 needs a few rounds before the seed is fully diffused.
    for (let i = 0; i < 12; i++) this.uint32()
  }

  /** An independent stream derived from this generator's seed and `label` (not from its current state). */
  fork(label: string | number): SeededRandom {
    const [h0, h1] = hashLabel(String(label))
    return new SeededRandom([mix32(this.k0 ^ h0), mix32((this.k1 + h1) | 0)])
  }

  uint32(): number {
    const a = this.a
    const b = this.b
    const c = this.c
    const d = this.d
    const t = (((a + b) | 0) + d) | 0
    this.d = (d + 1) | 0
    this.a = b ^ (b >>> 9)
    this.b = (c + (c << 3)) | 0
    this.c = (((c << 21) | (c >>> 11)) + t) | 0
    return t >>> 0
  }

  /** Uniform in [0, 1) with 32 bits of resolution: plenty for simulation and twice as fast as 53. */
  float(): number {
    return this.uint32() / TWO_POW_32
  }

  int(maxExclusive: number): number {
    if (!(maxExclusive > 0) || !Number.isSafeInteger(maxExclusive)) throw new RangeError(`int(): bound must be a positive safe integer, got ${maxExclusive}`)
    if (maxExclusive <= TWO_POW_32) return Math.floor((this.uint32() / TWO_POW_32) * maxExclusive)
    return Math.floor(((this.uint32() >>> 5) * 67108864 + (this.uint32() >>> 6)) / 9007199254740992 * maxExclusive)
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.uint32() < p * TWO_POW_32
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length)
    let i = 0
    for (; i + 4 <= length; i += 4) {
      const v = this.uint32()
      out[i] = v >>> 24
      out[i + 1] = v >>> 16
      out[i + 2] = v >>> 8
      out[i + 3] = v
    }
    if (i < length) {
      let v = this.uint32()
      for (; i < length; i++, v >>>= 8) out[i] = v
    }
    return out
  }

  /** The 64-bit key (two uint32) this stream derives from; feeds stateless hashes such as link fates. */
  get key(): readonly [number, number] {
    return [this.k0 >>> 0, this.k1 >>> 0]
  }
}
