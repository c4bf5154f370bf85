/** Messages with JSON or binary bodies, built and read without a codec: tests and scripts forge and inspect bodies with these (protocol code uses its codec table, src/core/codec/). */
import { BorgError } from '../../src/core/errors.js'
import { utf8 } from '../../src/core/bytes.js'
import { BodyType, type Incoming, type Outgoing, type Target } from '../../src/core/wire/message.js'

export function jsonMessage(kind: string, value: unknown, to?: Target): Outgoing {
  return { kind, to, body: utf8.encode(JSON.stringify(value)), bodyType: BodyType.json }
}

export function binaryMessage(kind: string, body: Uint8Array, to?: Target): Outgoing {
  return { kind, to, body, bodyType: BodyType.binary }
}

/** Parse a JSON body; a bad body is the sender's fault, never a crash. */
export function readJson<T = unknown>(message: Pick<Incoming, 'body' | 'bodyType' | 'kind'>): T {
  if (message.bodyType !== BodyType.json) throw new BorgError('malformed', `${message.kind}: body is not JSON`)
  try {
    return JSON.parse(utf8.decode(message.body)) as T
  } catch (error) {
    throw new BorgError('malformed', `${message.kind}: body is not valid UTF-8 JSON`, { cause: error })
  }
}

/** A JSON body that must be an object (fields are checked by the caller). */
export function readObject(message: Pick<Incoming, 'body' | 'bodyType' | 'kind'>): Record<string, unknown> {
  const b = readJson(message)
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new BorgError('malformed', `${message.kind}: body is not an object`)
  return b as Record<string, unknown>
}
