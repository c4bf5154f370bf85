/**
 * Hand-built JSON for the hottest bodies. JSON.stringify costs ~100 ns per
 * property on this engine (V8 11.3 has no fast path), which made heartbeat
 * answers the largest cost of a simulated tree. These produce exactly
 * JSON.stringify's text for the same value (test/tree/codec.test.ts).
 */
import type { Outgoing } from '../wire/message.js'
import { jsonBody } from './body-pool.js'
import { KIND, type HeartbeatReply } from './messages.js'
import type { Epoch, Member } from './types.js'

/** Printable ASCII without `"` and `\`: such a string is its own JSON body between quotes. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/
const jsonString = (s: string): string => (PLAIN.test(s) ? `"${s}"` : JSON.stringify(s))
const jsonNumber = (n: number): string => (Number.isFinite(n) ? String(n) : 'null')
const jsonEpoch = (e: Epoch): string => `{"term":${jsonNumber(e.term)},"seq":${jsonNumber(e.seq)}}`
/** A Member as stored by the tree (exactly `id` and `endpoint`). */
function jsonMember(m: Member): string {
  return `{"id":${jsonString(m.id)},"endpoint":${jsonString(m.endpoint)}}`
}
function jsonMembers(list: readonly Member[]): string {
  let out = '['
  for (let i = 0; i < list.length; i++) out += (i > 0 ? ',' : '') + jsonMember(list[i]!)
  return out + ']'
}

/** The answer to a heartbeat; `contacts` must be plain Members (id, endpoint), as the contact book keeps them. */
export function heartbeatReplyMessage(reply: HeartbeatReply): Outgoing {
  let json = `{"childOk":${reply.childOk},"epoch":${jsonEpoch(reply.epoch)}`
  if (reply.info !== undefined) json += `,"info":${JSON.stringify(reply.info)}`
  if (reply.contacts !== undefined) json += `,"contacts":${jsonMembers(reply.contacts)}`
  return jsonBody(KIND.hbReply, json + '}')
}

/** Peer-sampling bodies (shuffle and its answer): a list of plain Members. */
export function contactsMessage(kind: string, contacts: readonly Member[]): Outgoing {
  return jsonBody(kind, `{"contacts":${jsonMembers(contacts)}}`)
}

