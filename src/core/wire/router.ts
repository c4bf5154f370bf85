/**
 * Dispatches verified messages to the handler registered for their kind. Kinds
 * without a handler are refused with `unknown-kind` (requests get the code
 * back; one-way messages are dropped and counted).
 */
import type { Incoming } from './message.js'
import type { MessageHandler, Responder } from './transport.js'

export class MessageRouter {
  private readonly handlers = new Map<string, MessageHandler>()
  unknownKinds = 0

  on(kind: string, handler: MessageHandler): this {
    if (this.handlers.has(kind)) throw new Error(`a handler for ${kind} is already registered`)
    this.handlers.set(kind, handler)
    return this
  }

  has(kind: string): boolean {
    return this.handlers.has(kind)
  }

  readonly handle: MessageHandler = (message: Incoming, responder: Responder | undefined) => {
    const handler = this.handlers.get(message.kind)
    if (handler) return handler(message, responder)
    this.unknownKinds++
    responder?.fail('unknown-kind', `no handler for message kind ${message.kind}`)
  }
}
