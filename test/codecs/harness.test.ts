/** The codec harness and checks can fail: a decoder that crashes, or one that loses a field, is caught. */
import { describe, expect, it } from 'vitest'
import { int, list, object, optional, sha256Hex, text } from '../../src/core/codec/checks.js'
import { jsonCodec, shapeCodec, type Codec } from '../../src/core/codec/codec.js'
import { BorgError } from '../../src/core/errors.js'
import { BodyType } from '../../src/core/wire/message.js'
import { decodeOrRefuse, replaceSomewhere } from './harness.js'

const body = (value: unknown) => ({ kind: 'x', body: new TextEncoder().encode(JSON.stringify(value)), bodyType: BodyType.json })

describe('codec harness', () => {
  it('fails on a decoder that throws something other than a refusal', () => {
    const crashing: Codec<number> = jsonCodec('x', (v) => (v as { a: { b: number } }).a.b)
    expect(() => decodeOrRefuse(crashing, body({}))).toThrow(/decode threw TypeError/)
    expect(decodeOrRefuse(crashing, body({ a: { b: 1 } }))).toBe('value')
  })
  it('accepts refusals', () => {
    const strict = shapeCodec('x', { a: int(1) })
    expect(decodeOrRefuse(strict, body({ a: 0 }))).toBe('refused')
    expect(decodeOrRefuse(strict, { kind: 'x', body: new Uint8Array([0xff]), bodyType: BodyType.json })).toBe('refused')
    expect(decodeOrRefuse(strict, { kind: 'x', body: new Uint8Array(), bodyType: BodyType.binary })).toBe('refused')
  })
  it('replaces one node of a value', () => {
    expect(replaceSomewhere({ a: [1, 2] }, 0, 'z')).toBe('z')
    expect(replaceSomewhere({ a: [1, 2] }, 1, 'z')).toEqual({ a: 'z' })
    expect(replaceSomewhere({ a: [1, 2] }, 3, 'z')).toEqual({ a: [1, 'z'] })
  })
})

describe('checks', () => {
  const shape = shapeCodec('x', { name: text({ max: 4 }), n: optional(int(0, 9)), items: list(object({ hash: sha256Hex }), 2) })
  const hash = 'ab'.repeat(32)
  it('return only the fields they name, absent optional fields left out', () => {
    expect(shape.decode(body({ name: 'a', items: [{ hash, extra: 1 }], other: true }))).toEqual({ name: 'a', items: [{ hash }] })
    expect('n' in shape.decode(body({ name: 'a', items: [], n: null }))).toBe(false)
  })
  it('name the field that is wrong', () => {
    expect(() => shape.decode(body({ name: 'abcde', items: [] }))).toThrow('x.name must be 1..4 characters long')
    expect(() => shape.decode(body({ name: 'a', items: [], n: 10 }))).toThrow('x.n must be an integer 0..9')
    expect(() => shape.decode(body({ name: 'a', items: [{}, {}, {}] }))).toThrow('x.items must hold 0..2 items')
  })
  it('refuse a malformed hash with invalid-input, as docs/protocol.md §9.1 says', () => {
    try {
      shape.decode(body({ name: 'a', items: [{ hash: 'AB'.repeat(32) }] }))
      expect.unreachable()
    } catch (error) {
      expect((error as BorgError).code).toBe('invalid-input')
      expect((error as Error).message).toBe('x.items[0].hash must be 64 lower-case hex digits')
    }
  })
})
