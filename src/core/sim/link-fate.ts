/**
 * Stateless randomness for the network: fate(key, node, counter, lane) hashes
 * its inputs to a uniform float. The network draws loss, duplication and jitter
 * this way instead of keeping a generator per node or per link, which costs no
 * memory per node and keeps every message's fate independent of what other
 * nodes send (a Philox-style counter-based generator, with a murmur3 finaliser).
 */

function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return h ^ (h >>> 16)
}

/** Uniform in [0, 1), a pure function of its four 32-bit inputs. */
export function fate(key: number, node: number, counter: number, lane: number): number {
  let h = fmix32(key ^ Math.imul(node + 0x243f6a88, 0x9e3779b1))
  h = fmix32(h ^ Math.imul(counter + 0x13198a2e, 0x85ebca77))
  h = fmix32(h ^ Math.imul(lane + 0x03707344, 0xc2b2ae3d))
  return (h >>> 0) / 4294967296
}

/** Lanes: which independent draw of one message exchange a fate is for. */
export const Lane = {
  loss: 0,
  duplicate: 1,
  /** Jitter of copy k of the message on the way there: forward + k. */
  forward: 2,
  /** Loss and jitter of the answer to copy k: back + 2k and back + 2k + 1. */
  back: 4,
} as const
