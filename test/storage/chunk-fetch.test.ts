import { describe, expect, it } from 'vitest'
import { fetchRequest, MAX_FETCH } from '../../src/core/storage/audit-messages.js'

/** The checks the shard.chunk.fetch codec applies to a decoded body. */
const parseFetch = (body: unknown) => fetchRequest(body, 'shard.chunk.fetch').chunks

const hash = 'ab'.repeat(32)
const from = [{ id: 'cd'.repeat(33), endpoint: '127.0.0.1:13350' }]

describe('shard.chunk.fetch bodies', () => {
  it('takes a well-formed list', () => {
    expect(parseFetch({ chunks: [{ hash, length: 1024, from }] })).toEqual([{ hash, length: 1024, from }])
  })

  it.each([
    ['no list', {}],
    ['an empty list', { chunks: [] }],
    ['too many', { chunks: Array.from({ length: MAX_FETCH + 1 }, () => ({ hash, length: 1, from })) }],
    ['a path-like hash', { chunks: [{ hash: '../../etc/passwd', length: 1, from }] }],
    ['a zero length', { chunks: [{ hash, length: 0, from }] }],
    ['a huge length', { chunks: [{ hash, length: 2 ** 40, from }] }],
    ['no holders', { chunks: [{ hash, length: 1, from: [] }] }],
    ['a holder without endpoint', { chunks: [{ hash, length: 1, from: [{ id: 'x' }] }] }],
    ['null', null],
  ])('refuses %s', (_what, body) => {
    expect(() => parseFetch(body)).toThrow(expect.objectContaining({ code: 'invalid-input' }))
  })
})
