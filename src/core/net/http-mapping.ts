/** How envelopes ride on HTTP and links (docs/protocol.md §4). */
import type { ErrorCode } from '../errors.js'
import { utf8 } from '../bytes.js'
import type { Sealed } from '../envelope/seal.js'
import { BodyType, type Outgoing } from '../wire/message.js'

export const ENVELOPE_CONTENT_TYPE = 'application/vnd.borg.envelope'
export const MESSAGE_PATH = '/borg/v1/msg'
export const CARD_PATH = '/borg/v1/card'
export const ERROR_KIND = 'wire.error'
/** Envelopes whose body is at most this long are written, and read, as one buffer. */
export const SMALL_BODY_BYTES = 64 * 1024

/**
 * A sealed envelope as the buffers to write: a small one as one buffer (one TLS record, one write),
 * a bulk one as its pieces, not copied.
 */
export function wireChunks(sealed: Sealed): Uint8Array[] {
  const pieces = [sealed.headerBytes, sealed.body, ...sealed.parts].filter((piece) => piece.length > 0)
  return sealed.header.bodyLength <= SMALL_BODY_BYTES && pieces.length > 1 ? [Buffer.concat(pieces)] : pieces
}

/**
 * A `wire.error` (§4.4): the code and text; a time-window refusal also says what time it is here
 * (`now`), so a node whose clock is far off learns by how much.
 */
export function errorMessage(code: ErrorCode, text: string, now: number): Outgoing {
  const clockHint = code === 'expired' || code === 'from-future' ? { now } : {}
  return { kind: ERROR_KIND, body: utf8.encode(JSON.stringify({ code, message: text, ...clockHint })), bodyType: BodyType.json }
}

/** Links (§4.5): a kept TLS connection carrying envelopes back to back, after an HTTP upgrade. */
export const LINK_PATH = '/borg/v1/link'
export const LINK_PROTOCOL = 'borg-link/1'
export const LINK_OPEN_KIND = 'wire.link.open'
export const LINK_ACCEPT_KIND = 'wire.link.accept'
/** A link's answer to a one-way message it accepted (HTTP answers 204). */
export const ACK_KIND = 'wire.ack'
/** Largest body a link takes from its opener; bigger messages go as HTTP requests of their own. */
export const LINK_MAX_BODY_BYTES = SMALL_BODY_BYTES
/** Messages one link may have in progress at its acceptor (received, not yet answered). */
export const LINK_MAX_IN_PROGRESS = 64

/** HTTP status for a rejection; the signed error body carries the exact code. */
export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case 'malformed':
    case 'unsupported-version':
    case 'invalid-input':
    case 'usage':
      return 400
    case 'bad-signature':
    case 'body-hash-mismatch':
    case 'expired':
    case 'from-future':
      return 401
    case 'refused':
      return 403
    case 'not-found':
    case 'unknown-kind':
      return 404
    case 'replay':
    case 'exists':
      return 409
    case 'too-large':
      return 413
    case 'wrong-recipient':
      return 421
    case 'busy':
    case 'unavailable':
      return 503
    case 'timeout':
      return 504
    default:
      return 500
  }
}

/**
 * Relays (§4.6): a node nobody can dial keeps a tunnel to a public node (an HTTP upgrade on
 * RELAY_PATH) and others POST its envelopes to `RELAY_PATH/<its node id>` there.
 */
export const RELAY_PATH = '/borg/v1/relay'
export const RELAY_PROTOCOL = 'borg-relay/1'
export const RELAY_RESERVE_KIND = 'relay.reserve'
export const RELAY_RESERVATION_KIND = 'relay.reservation'
