/** Small byte helpers shared by every codec. Big-endian throughout. */
import { BorgError } from './errors.js'

// Hex goes through Buffer: native, 4-5x faster than a JS loop on the kilobyte blocks and
// certificates the ledger moves as hex (node and bun both have it).

/** Lower-case hex of `bytes`. */
export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** Bytes of an even-length hex string; throws on any other character. */
export function hexToBytes(hex: string): Uint8Array {
  if (typeof hex !== 'string' || hex.length % 2 !== 0) throw new Error(`hex string of even length expected`)
  const decoded = Buffer.from(hex, 'hex')
  // Buffer stops at the first pair that is not hex: a short result means a bad character.
  if (decoded.length * 2 !== hex.length) throw new Error('hex string expected: a character is not hex')
  return new Uint8Array(decoded)
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0
  for (const p of parts) length += p.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

/** Strict hex parse: even length, [0-9a-f] only, optional exact length. */
export function parseHex(text: string, expectedBytes?: number, what = 'value'): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(text)) throw new BorgError('invalid-input', `${what} is not hex`)
  const bytes = hexToBytes(text.toLowerCase())
  if (expectedBytes !== undefined && bytes.length !== expectedBytes) {
    throw new BorgError('invalid-input', `${what} must be ${expectedBytes} bytes, got ${bytes.length}`)
  }
  return bytes
}

export const utf8 = {
  encode: (text: string): Uint8Array => new TextEncoder().encode(text),
  decode: (bytes: Uint8Array): string => new TextDecoder('utf-8', { fatal: true }).decode(bytes),
}

/** Write an unsigned integer up to 2^53-1 as 8 bytes big-endian. */
export function writeU64(view: DataView, offset: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`u64 out of range: ${value}`)
  view.setUint32(offset, Math.floor(value / 0x1_0000_0000))
  view.setUint32(offset + 4, value >>> 0)
}

/** Read 8 bytes big-endian; returns undefined when the value exceeds 2^53-1. */
export function readU64(view: DataView, offset: number): number | undefined {
  const high = view.getUint32(offset)
  const low = view.getUint32(offset + 4)
  if (high > 0x1f_ffff) return undefined
  return high * 0x1_0000_0000 + low
}
