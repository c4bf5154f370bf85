/** Who may send a message kind, and what a refusal records (the router in src/core/messaging/ applies them). */
import type { Incoming } from './message.js'

/** Who may send one message kind; docs/protocol.md §6.4 lists every kind's rule. */
export interface SenderRule {
  /** How the rule reads in docs and logs: 'anyone', "this node's own key", … */
  readonly name: string
  /** One rule object serving several kinds (the tree's) names each kind's rule here. */
  nameFor?(kind: string): string
  /** Why this message's sender may not send it here, or undefined when it may. */
  refuse(message: Incoming): string | undefined
}

/** A sender refused by a kind's rule. */
export interface Refusal {
  kind: string
  from: string
  reason: string
}
