/**
 * Crypto-strong randomness for real nodes (the simulator's is seeded:
 * src/core/sim/seeded-random.ts). Every message takes a 16-byte random id, so
 * bytes are drawn from the OS generator 4 KiB at a time and handed out by copy
 * (as node's randomUUID does): one system call per 256 ids instead of one per
 * id. Bytes once handed out are never handed out again.
 */
import { randomFillSync } from 'node:crypto'
import type { Random } from '../wire/random.js'

const POOL_BYTES = 4096
const pool = Buffer.allocUnsafeSlow(POOL_BYTES)
let used = POOL_BYTES

function take(length: number): Uint8Array {
  const out = new Uint8Array(length)
  if (length > POOL_BYTES / 4) return randomFillSync(out)
  if (used + length > POOL_BYTES) {
    randomFillSync(pool)
    used = 0
  }
  out.set(pool.subarray(used, used + length))
  pool.fill(0, used, used + length) // nothing handed out stays in the pool
  used += length
  return out
}

/** A uniform float in [0, 1) from 48 random bits. */
function unit(): number {
  const b = take(6)
  return (b[0]! * 2 ** 40 + b[1]! * 2 ** 32 + b[2]! * 2 ** 24 + b[3]! * 2 ** 16 + b[4]! * 2 ** 8 + b[5]!) / 2 ** 48
}

export const cryptoRandom: Random = {
  bytes: take,
  float: unit,
  int: (maxExclusive) => Math.floor(unit() * maxExclusive),
}
