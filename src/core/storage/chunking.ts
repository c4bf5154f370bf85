/**
 * Splitting a byte stream into fixed-size chunks. Every chunk but the last has
 * exactly `chunkSize` bytes; an empty input has no chunks at all. Input pieces
 * are copied once into a chunk buffer, so memory stays at one chunk whatever
 * the file size.
 */

/** Default chunk size (docs/storage.md explains the measurement behind it). */
export const DEFAULT_CHUNK_SIZE = 1024 * 1024
export const MIN_CHUNK_SIZE = 4 * 1024
export const MAX_CHUNK_SIZE = 64 * 1024 * 1024

export async function* chunksOf(source: AsyncIterable<Uint8Array>, chunkSize = DEFAULT_CHUNK_SIZE): AsyncGenerator<Uint8Array> {
  if (!(Number.isSafeInteger(chunkSize) && chunkSize >= MIN_CHUNK_SIZE && chunkSize <= MAX_CHUNK_SIZE)) {
    throw new RangeError(`chunk size must be an integer in [${MIN_CHUNK_SIZE}, ${MAX_CHUNK_SIZE}]`)
  }
  let buffer = new Uint8Array(chunkSize)
  let filled = 0
  for await (const piece of source) {
    let offset = 0
    while (offset < piece.length) {
      const take = Math.min(chunkSize - filled, piece.length - offset)
      buffer.set(piece.subarray(offset, offset + take), filled)
      filled += take
      offset += take
      if (filled === chunkSize) {
        yield buffer
        // A fresh buffer: the consumer may still hold the one just yielded.
        buffer = new Uint8Array(chunkSize)
        filled = 0
      }
    }
  }
  if (filled > 0) yield buffer.subarray(0, filled)
}

/** How many chunks a file of `size` bytes has. */
export function chunkCount(size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize)
}

/** Byte length of chunk `index` of a file of `size` bytes. */
export function chunkLength(index: number, size: number, chunkSize: number): number {
  return Math.min(chunkSize, size - index * chunkSize)
}
