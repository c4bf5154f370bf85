/** What a peer's answer means when it is not the reply asked for (HTTP and links alike). */
import { BorgError, isErrorCode, type ErrorCode } from '../errors.js'
import { parseJsonBody } from '../codec/codec.js'
import type { Incoming } from '../wire/message.js'

export function identityMismatch(endpoint: string, expected: string, got: string): BorgError {
  return new BorgError('identity-mismatch', `${endpoint} is node ${got.slice(0, 16)}…, not the expected ${expected.slice(0, 16)}…`, {
    details: { endpoint, expected, got },
  })
}

/** A signed `wire.error`: the peer's code and text (and its time, for a time-window refusal). */
export function remoteError(endpoint: string, message: Incoming): BorgError {
  let code: ErrorCode = 'refused'
  let text = 'request refused'
  let now: number | undefined
  try {
    const body = parseJsonBody(message) as { code?: unknown; message?: unknown; now?: unknown }
    if (isErrorCode(body.code)) code = body.code
    if (typeof body.message === 'string') text = body.message
    if (typeof body.now === 'number' && Number.isFinite(body.now)) now = body.now
  } catch {
    // keep the generic refusal
  }
  return new BorgError(code, `${endpoint} refused: ${text}`, { details: { remote: true, endpoint, ...(now === undefined ? {} : { now }) } })
}
