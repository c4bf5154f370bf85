import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { chunkCount, chunkLength, chunksOf, MIN_CHUNK_SIZE } from '../../src/core/storage/chunking.js'

async function* pieces(parts: Uint8Array[]) {
  for (const p of parts) yield p
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for await (const c of source) out.push(Uint8Array.from(c))
  return out
}

describe('chunksOf', () => {
  it('has no chunks for an empty input, and one short chunk for a short one', async () => {
    expect(await collect(chunksOf(pieces([]), MIN_CHUNK_SIZE))).toEqual([])
    expect(await collect(chunksOf(pieces([new Uint8Array(0)]), MIN_CHUNK_SIZE))).toEqual([])
    const [only, ...rest] = await collect(chunksOf(pieces([new Uint8Array([1, 2, 3])]), MIN_CHUNK_SIZE))
    expect(Array.from(only!)).toEqual([1, 2, 3])
    expect(rest).toEqual([])
  })

  it('refuses chunk sizes outside the allowed range', async () => {
    await expect(collect(chunksOf(pieces([]), 100))).rejects.toThrow(/chunk size/)
  })

  it('property: however the input is cut, chunks are full-size but the last, and concatenate to the input', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 20_000 }), { maxLength: 12 }), fc.constantFrom(4096, 8192, 10_000), async (parts, size) => {
        const chunks = await collect(chunksOf(pieces(parts), size))
        const input = Buffer.concat(parts)
        expect(Buffer.concat(chunks).equals(input)).toBe(true)
        expect(chunks.length).toBe(chunkCount(input.length, size))
        chunks.forEach((c, i) => expect(c.length).toBe(chunkLength(i, input.length, size)))
      }),
      { numRuns: 100 },
    )
  })
})
