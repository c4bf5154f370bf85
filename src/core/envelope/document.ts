/**
 * Signed documents: envelopes that are kept and passed on rather than sent as
 * messages (manifests, removals). Such an envelope has no target and a JSON
 * body; this checks both, and the kind, once its signature and body hash have
 * been verified (open() in seal.ts), and returns the parsed body.
 */
import { BorgError } from '../errors.js'
import { utf8 } from '../bytes.js'
import { BodyType } from '../wire/message.js'
import type { EnvelopeHeader } from './codec.js'

export function documentJson(header: EnvelopeHeader, body: Uint8Array, kind: string, noun: string): unknown {
  if (header.kind !== kind) throw new BorgError('malformed', `not a ${noun}: kind ${header.kind}`)
  if (header.to.type !== 'none') throw new BorgError('malformed', `a ${noun} has no target`)
  if (header.bodyType !== BodyType.json) throw new BorgError('malformed', `${noun} body is not JSON`)
  try {
    return JSON.parse(utf8.decode(body))
  } catch (error) {
    throw new BorgError('malformed', `${noun} body is not valid JSON`, { cause: error })
  }
}
