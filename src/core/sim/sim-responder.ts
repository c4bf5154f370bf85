/** The Responder a request handler gets: one answer, sent back over the reverse link. */
import { BorgError, type ErrorCode } from '../errors.js'
import type { Outgoing } from '../wire/message.js'
import type { Responder } from '../wire/transport.js'
import type { Flight } from './flight.js'
import type { SimProcess } from './sim-node.js'

/** What carries a responder's answer back (the Courier). */
export interface AnswerCarrier {
  reply(responder: SimResponder, message: Outgoing): void
  fail(responder: SimResponder, code: ErrorCode, message: string): void
}

export class SimResponder implements Responder {
  used = false

  constructor(
    private readonly courier: AnswerCarrier,
    readonly flight: Flight,
    /** The process that received the request (its clock stamps the reply). */
    readonly receiver: SimProcess,
    /** Which copy of a duplicated request this answers (0 or 1): picks the answer's link fate. */
    readonly copy: number,
  ) {}

  reply(message: Outgoing): void {
    this.claim()
    this.courier.reply(this, message)
  }

  fail(code: ErrorCode, message: string): void {
    this.claim()
    this.courier.fail(this, code, message)
  }

  /** Answering twice is a protocol bug: an HTTP response cannot be written twice either. */
  private claim(): void {
    if (this.used) throw new BorgError('internal', `responder for '${this.flight.message.kind}' used twice`)
    this.used = true
  }
}
