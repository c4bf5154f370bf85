/** Content names: a SHA-256 as 64 lower-case hex digits (chunks, file ids, stream ids). */

export function isSha256Hex(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value)
}
