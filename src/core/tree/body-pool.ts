/**
 * Where tree message bodies are written: JSON text into shared slabs (no
 * fresh ArrayBuffer per message), and bodies sent again and again kept apart
 * so receivers can tell them (see reuse()). Only the tree's hot paths use
 * this; the simulator runs millions of these messages per second.
 */
import { BodyType, type Outgoing } from '../wire/message.js'

export function message(kind: string, value: unknown): Outgoing {
  // Buffer.from: small bodies are carved out of a shared pool (TextEncoder makes an ArrayBuffer per message).
  return jsonBody(kind, JSON.stringify(value))
}

/** A JSON body already written as text. */
export function jsonBody(kind: string, json: string): Outgoing {
  return { kind, body: utf8Bytes(json), bodyType: BodyType.json }
}

/**
 * Message bodies are written into 64 KB slabs and handed out as views: like
 * Buffer.from's 8 KB pool, without a fresh ArrayBuffer (~1.5 µs here) every
 * few dozen messages. Bodies are short-lived (sent, parsed, dropped); the few
 * that are kept go through reuse(), which copies them out.
 */
const BODY_SLAB = 65_536
let bodySlab = Buffer.allocUnsafeSlow(0)
let bodySlabUsed = 0
function utf8Bytes(json: string): Uint8Array {
  const most = 3 * json.length
  if (most > BODY_SLAB / 8) return Buffer.from(json, 'utf8')
  if (bodySlabUsed + most > bodySlab.length) {
    bodySlab = Buffer.allocUnsafeSlow(BODY_SLAB)
    bodySlabUsed = 0
  }
  const start = bodySlabUsed
  bodySlabUsed += bodySlab.write(json, start, 'utf8')
  return bodySlab.subarray(start, bodySlabUsed)
}

/**
 * Bodies senders keep and send again unchanged (a join request, a heartbeat
 * while nothing changed, the root's "queued" answer). Such a body remembers
 * what it decoded to, so where the same bytes object arrives again (the
 * simulator passes bodies by reference; a real transport never does) it is
 * not parsed again. On the body itself rather than in a WeakMap: a million
 * simulated nodes keep a million such bodies, and a weak table that size is
 * slow to look up and costly for the collector to trace.
 */
export class ReusedBody extends Uint8Array {
  /** The decoder that decoded this body last (codec.ts memo), and what it made: shared by every receiver, never mutated. */
  decodedBy: object | undefined = undefined
  decoded: unknown = undefined
}

/** Whether `body` is one of the bodies kept for reuse (decoders may remember what it decoded to). */
export function isReused(body: Uint8Array): body is ReusedBody {
  return body instanceof ReusedBody
}

/**
 * The same message with its body moved into bytes kept for reuse: 16 KB slabs
 * that hold only such bodies. A pooled Buffer slice would pin its whole 8 KB
 * pool slab (mostly garbage), and bytes of their own cost an ArrayBuffer each
 * (~1.5 µs, and ~200 B), which adds up with a body kept per simulated node.
 */
export function reuse(message: Outgoing): Outgoing {
  const bytes = message.body!
  let body: ReusedBody
  if (bytes.length > REUSE_SLAB / 8) {
    body = new ReusedBody(bytes.length)
    body.set(bytes)
  } else {
    if (reuseSlabUsed + bytes.length > reuseSlab.length) {
      reuseSlab = new Uint8Array(REUSE_SLAB)
      reuseSlabUsed = 0
    }
    reuseSlab.set(bytes, reuseSlabUsed)
    body = new ReusedBody(reuseSlab.buffer, reuseSlab.byteOffset + reuseSlabUsed, bytes.length)
    reuseSlabUsed += bytes.length
  }
  return { kind: message.kind, body, bodyType: message.bodyType }
}
const REUSE_SLAB = 16_384
let reuseSlab = new Uint8Array(0)
let reuseSlabUsed = 0
