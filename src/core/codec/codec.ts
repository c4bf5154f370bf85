/**
 * One codec per message kind: its name, how a value becomes a message body,
 * and how a received body becomes a value again. Each cell keeps its codecs in
 * one table (its messages.ts) and test/codecs/ holds every kind to the same
 * two properties: a value survives a round trip, and any body decodes to a
 * value or a refusal (`malformed`, or `invalid-input` where docs/protocol.md
 * says so), never to another error.
 */
import { BorgError } from '../errors.js'
import { bytesToHex, hexToBytes, utf8 } from '../bytes.js'
import { encodePartsIndex, openParts } from '../envelope/parts.js'
import { BodyType, type Incoming, type Outgoing, type Target } from '../wire/message.js'
import { isRecord, object, type Check, type Infer, type Shape } from './checks.js'

/** What a decoder reads of a message. */
export type Body = Pick<Incoming, 'kind' | 'body' | 'bodyType' | 'split'>

export interface Codec<T> {
  readonly kind: string
  encode(value: T, to?: Target): Outgoing
  /** Throws BorgError('malformed') (or 'invalid-input', as documented) and nothing else. */
  decode(message: Body): T
}
export type ValueOf<C> = C extends Codec<infer T> ? T : never
/** Any codec, for tables and tests. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCodec = Codec<any>

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true })

/** A JSON body's value; not JSON, not UTF-8 or not parseable is `malformed`. */
export function parseJsonBody(message: Body): unknown {
  if (message.bodyType !== BodyType.json) throw new BorgError('malformed', `${message.kind}: body is not JSON`)
  try {
    return JSON.parse(fatalUtf8.decode(message.body))
  } catch (error) {
    throw new BorgError('malformed', `${message.kind}: body is not valid UTF-8 JSON`, { cause: error })
  }
}

/** A message whose body is `value` as JSON (its fields in their own order). */
export function encodeJson(kind: string, value: unknown, to?: Target): Outgoing {
  return { kind, to, body: utf8.encode(JSON.stringify(value)), bodyType: BodyType.json }
}

/** A JSON value checked by `check`; `write` turns a value into what is sent (default: itself). */
export function jsonCodec<T>(kind: string, check: Check<T>, write: (value: T) => unknown = (v) => v): Codec<T> {
  return {
    kind,
    encode: (value, to) => encodeJson(kind, write(value), to),
    decode: (message) => check(parseJsonBody(message), message.kind),
  }
}

/** A JSON object with the fields of `shape` (unknown fields ignored). */
export function shapeCodec<S extends Shape>(kind: string, shape: S, write?: (value: Infer<S>) => unknown): Codec<Infer<S>> {
  return jsonCodec(kind, object(shape), write)
}

/** `{}` out; any JSON object in (requests that carry nothing). */
export function emptyCodec(kind: string): Codec<Record<string, never>> {
  return jsonCodec(kind, (value, at) => (isRecord(value) ? {} : object({})(value, at)))
}

/** Raw bytes (chunks, signed manifests): any binary body is a value; its meaning is checked by whoever reads it. */
export function binaryCodec(kind: string): Codec<Uint8Array> {
  return {
    kind,
    encode: (body, to) => ({ kind, to, body, bodyType: BodyType.binary }),
    decode: (message) => {
      if (message.bodyType !== BodyType.binary) throw new BorgError('malformed', `${message.kind}: body is not binary`)
      return message.body
    },
  }
}

/** A part of a parts message, named by the hex SHA-256 of its bytes. */
export interface NamedPart {
  hash: string
  bytes: Uint8Array
}

/**
 * A JSON head with the fields of `shape` and content-addressed parts (body
 * type parts, src/core/envelope/parts.ts): many chunks under one signature,
 * each checked against its hash at the edge. The sender names each part; a
 * wrong name only gets the message refused.
 */
export function partsCodec<S extends Shape>(kind: string, shape: S, maxParts: number): Codec<{ head: Infer<S>; parts: NamedPart[] }> {
  const check = object(shape)
  return {
    kind,
    encode: ({ head, parts }, to) => ({
      kind,
      to,
      body: encodePartsIndex(utf8.encode(JSON.stringify(head)), parts.map((p) => ({ hash: hexToBytes(p.hash), length: p.bytes.length }))),
      bodyType: BodyType.parts,
      parts: parts.map((p) => p.bytes),
    }),
    decode: (message) => {
      if (message.bodyType !== BodyType.parts) throw new BorgError('malformed', `${message.kind}: body is not parts`)
      let split = message.split
      if (!split) {
        // Not read by a transport (which checks every part as it streams in): check it here.
        try {
          split = openParts(message.body)
        } catch (error) {
          throw new BorgError('malformed', `${message.kind}: ${(error as Error).message}`, { cause: error })
        }
      }
      let head: unknown
      try {
        head = split.head.length === 0 ? {} : JSON.parse(fatalUtf8.decode(split.head))
      } catch (error) {
        throw new BorgError('malformed', `${message.kind}: head is not valid UTF-8 JSON`, { cause: error })
      }
      if (split.parts.length > maxParts) throw new BorgError('malformed', `${message.kind}: ${split.parts.length} parts, at most ${maxParts} allowed`)
      return { head: check(head, `${message.kind}.head`), parts: split.parts.map((p) => ({ hash: bytesToHex(p.hash), bytes: p.bytes })) }
    },
  }
}

/** The codecs of a table, checked to name distinct kinds (a copy-paste slip would shadow one). */
export function codecTable<T extends Record<string, AnyCodec>>(table: T): T {
  const seen = new Set<string>()
  for (const codec of Object.values(table)) {
    if (seen.has(codec.kind)) throw new Error(`two codecs for ${codec.kind}`)
    seen.add(codec.kind)
  }
  return table
}
