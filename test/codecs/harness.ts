/**
 * The two properties every message codec keeps (src/core/codec/codec.ts):
 * 1. a value survives encode → decode unchanged;
 * 2. any body (arbitrary JSON, a valid body with one field replaced by
 *    arbitrary JSON, random bytes of every body type, the wrong body type) decodes to a value or
 *    to a BorgError `malformed` (or `invalid-input`, where docs/protocol.md
 *    names it), never to another error.
 * A table's test passes an arbitrary for every codec in it: TypeScript makes
 * the list complete, and coverage.test.ts checks that every kind a node
 * handles is in some table.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { AnyCodec, Codec, ValueOf } from '../../src/core/codec/codec.js'
import { BorgError } from '../../src/core/errors.js'
import { concatBytes } from '../../src/core/bytes.js'
import { BodyType, type Incoming } from '../../src/core/wire/message.js'

export const REFUSALS = new Set(['malformed', 'invalid-input'])
const RUNS = Number(process.env.BORG_CODEC_RUNS ?? 150)

export type Arbitraries<T extends Record<string, AnyCodec>> = { [K in keyof T]: fc.Arbitrary<ValueOf<T[K]>> }

/** Decode, and say whether it returned or refused; any other throw fails the test. */
export function decodeOrRefuse(codec: AnyCodec, message: Pick<Incoming, 'kind' | 'body' | 'bodyType'>): 'value' | 'refused' {
  try {
    codec.decode(message)
    return 'value'
  } catch (error) {
    if (error instanceof BorgError && REFUSALS.has(error.code)) return 'refused'
    throw new Error(`${codec.kind}: decode threw ${error instanceof BorgError ? `BorgError(${error.code})` : String(error)} for body ${Buffer.from(message.body).toString('utf8').slice(0, 300)}`, { cause: error })
  }
}

const jsonBytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))

/** A copy of `value` with the node at one path (chosen by `pick`) replaced by `replacement`. */
export function replaceSomewhere(value: unknown, pick: number, replacement: unknown): unknown {
  const paths: (string | number)[][] = []
  const walk = (v: unknown, path: (string | number)[]) => {
    paths.push(path)
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]))
    else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) walk(x, [...path, k])
  }
  walk(value, [])
  const path = paths[pick % paths.length]!
  if (path.length === 0) return replacement
  const copy = structuredClone(value) as Record<string | number, unknown>
  let at: Record<string | number, unknown> = copy
  for (const step of path.slice(0, -1)) at = at[step] as Record<string | number, unknown>
  at[path[path.length - 1]!] = replacement
  return copy
}

/** Property tests for every codec of a table. */
export function describeCodecs<T extends Record<string, AnyCodec>>(name: string, table: T, arbitraries: Arbitraries<T>): void {
  describe(`${name} codecs`, () => {
    it('have an arbitrary for exactly the codecs in the table', () => {
      expect(Object.keys(arbitraries).sort()).toEqual(Object.keys(table).sort())
    })
    for (const [key, codec] of Object.entries(table) as [string, Codec<unknown>][]) {
      const arbitrary = arbitraries[key as keyof T] as fc.Arbitrary<unknown>
      describe(codec.kind, () => {
        it('round-trips every value', () => {
          fc.assert(
            fc.property(arbitrary, (value) => {
              const message = codec.encode(value)
              expect(message.kind).toBe(codec.kind)
              // A parts body travels as its index followed by the parts.
              const body = concatBytes(message.body ?? new Uint8Array(0), ...(message.parts ?? []))
              const decoded = codec.decode({ kind: codec.kind, body, bodyType: message.bodyType ?? BodyType.binary })
              expect(decoded).toEqual(value)
              // Encoding what was decoded gives the same bytes (nothing is lost or reordered).
              expect(codec.encode(decoded).body).toEqual(message.body)
            }),
            { numRuns: RUNS },
          )
        })
        it('decodes arbitrary JSON to a value or a refusal', () => {
          fc.assert(
            fc.property(fc.jsonValue(), (value) => {
              decodeOrRefuse(codec, { kind: codec.kind, body: jsonBytes(value), bodyType: BodyType.json })
            }),
            { numRuns: RUNS },
          )
        })
        it('decodes a valid body with one part replaced to a value or a refusal', () => {
          fc.assert(
            fc.property(arbitrary, fc.nat(), fc.jsonValue({ maxDepth: 2 }), (value, pick, replacement) => {
              const message = codec.encode(value)
              if (message.bodyType !== BodyType.json) return
              const parsed: unknown = JSON.parse(new TextDecoder().decode(message.body))
              decodeOrRefuse(codec, { kind: codec.kind, body: jsonBytes(replaceSomewhere(parsed, pick, replacement)), bodyType: BodyType.json })
            }),
            { numRuns: RUNS },
          )
        })
        it('decodes random bytes of either body type to a value or a refusal', () => {
          fc.assert(
            fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(BodyType.json, BodyType.binary, BodyType.parts), (body, bodyType) => {
              decodeOrRefuse(codec, { kind: codec.kind, body, bodyType })
            }),
            { numRuns: RUNS },
          )
        })
      })
    }
  })
}
