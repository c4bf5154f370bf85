/**
 * Dispatches verified messages to the handler registered for their kind. Every
 * kind is registered with a sender rule (who may send it), checked against the
 * receiver's own state before the handler runs. Kinds without a handler are
 * refused with `unknown-kind`; senders the rule does not allow with `refused`
 * (requests get the code back; a one-way message is answered with it by the
 * transport, since the handler throws).
 */
import { BorgError } from '../errors.js'
import type { Incoming } from '../wire/message.js'
import type { Refusal, SenderRule } from '../wire/sender-rule.js'
import type { MessageHandler, Responder } from '../wire/transport.js'

/** Public requests (status, membership lists, stored data): any signed sender may ask. */
export const ANYONE: SenderRule = { name: 'anyone', refuse: () => undefined }

/** Control of a node: only its own key (a command run with the same BORG_HOME) may send these. */
export function ownKey(nodeId: string): SenderRule {
  return {
    name: "this node's own key",
    refuse: (m) => (m.fromHex === nodeId ? undefined : `${m.kind} is accepted only from this node's own key`),
  }
}

export class MessageRouter {
  private readonly handlers = new Map<string, { rule: SenderRule; handler: MessageHandler }>()
  unknownKinds = 0
  /** Messages refused by their kind's sender rule, per kind. */
  readonly refused = new Map<string, number>()

  /** `onRefused`: for a (rate-limited) log line. */
  constructor(private readonly onRefused?: (refusal: Refusal) => void) {}

  on(kind: string, rule: SenderRule, handler: MessageHandler): this {
    if (this.handlers.has(kind)) throw new Error(`a handler for ${kind} is already registered`)
    this.handlers.set(kind, { rule, handler })
    return this
  }

  has(kind: string): boolean {
    return this.handlers.has(kind)
  }

  /** The rule of every registered kind (docs and tests compare it with docs/protocol.md). */
  rules(): Map<string, string> {
    return new Map([...this.handlers].map(([kind, { rule }]) => [kind, rule.nameFor?.(kind) ?? rule.name]))
  }

  readonly handle: MessageHandler = (message: Incoming, responder: Responder | undefined) => {
    const entry = this.handlers.get(message.kind)
    if (!entry) {
      this.unknownKinds++
      return responder?.fail('unknown-kind', `no handler for message kind ${message.kind}`)
    }
    const reason = entry.rule.refuse(message)
    if (reason === undefined) return entry.handler(message, responder)
    this.refused.set(message.kind, (this.refused.get(message.kind) ?? 0) + 1)
    this.onRefused?.({ kind: message.kind, from: message.fromHex, reason })
    if (responder) return responder.fail('refused', reason)
    throw new BorgError('refused', reason)
  }
}
