import { BorgError } from '../errors.js'
/** Content names: a SHA-256 as 64 lower-case hex digits (chunks, file ids, stream ids). */

export function isSha256Hex(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value)
}

/** A file id from the outside (a flag, a request), or a clear error: never a path, never anything but 64 hex digits. */
export function checkFileId(id: unknown): string {
  if (!isSha256Hex(id)) throw new BorgError('invalid-input', `not a file id (64 hex digits): ${JSON.stringify(String(id).slice(0, 80))}`)
  return id
}
