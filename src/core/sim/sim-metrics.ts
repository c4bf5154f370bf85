/**
 * Counters for one simulation run. Invariant once the run has drained:
 * messagesSent + messagesDuplicated === messagesDelivered + messagesDropped
 * (every copy the network carried either reached a handler / a waiting
 * requester, or was dropped for one of the reasons in `drops`).
 */

export type DropReason =
  | 'loss' // link loss probability
  | 'partition' // sender and receiver in different partition groups when it arrived
  | 'down' // receiver (or, for replies, the requester) crashed or not listening
  | 'unknown-endpoint' // no node at that endpoint
  | 'identity-mismatch' // Peer.id did not match the node at the endpoint
  | 'duplicate' // second copy suppressed by the receiver's replay cache (dedupe)
  | 'too-large' // body over the network's maxBodyBytes, refused as HTTPS refuses it
  | 'late' // reply arrived after the requester had its result (timeout, or an earlier copy)
  | 'no-listener' // reply to a request sent without onResult
  | 'sender-down' // send() on the transport of a crashed node

export interface KindMetrics {
  sent: number
  delivered: number
  dropped: number
  bytesSent: number
}

export class SimMetrics {
  events = 0
  messagesSent = 0
  messagesDelivered = 0
  messagesDropped = 0
  messagesDuplicated = 0
  bytesSent = 0
  bytesDelivered = 0
  /** Transport-level answers (acks, refusals, failures) lost on the way back. */
  answersLost = 0
  timeouts = 0
  handlerErrors = 0
  /** Timer callbacks not run because their node had crashed. */
  timersDiscarded = 0
  readonly drops: Record<DropReason, number> = {
    loss: 0,
    partition: 0,
    down: 0,
    'unknown-endpoint': 0,
    'identity-mismatch': 0,
    duplicate: 0,
    'too-large': 0,
    late: 0,
    'no-listener': 0,
    'sender-down': 0,
  }
  readonly byKind = new Map<string, KindMetrics>()
  /** First few handler exceptions, for diagnosis (the rest are only counted). */
  readonly handlerErrorSamples: unknown[] = []

  kind(kind: string): KindMetrics {
    let entry = this.byKind.get(kind)
    if (entry === undefined) {
      entry = { sent: 0, delivered: 0, dropped: 0, bytesSent: 0 }
      this.byKind.set(kind, entry)
    }
    return entry
  }

  countSent(kind: KindMetrics, bytes: number): void {
    this.messagesSent++
    this.bytesSent += bytes
    kind.sent++
    kind.bytesSent += bytes
  }

  countDelivered(kind: KindMetrics, bytes: number): void {
    this.messagesDelivered++
    this.bytesDelivered += bytes
    kind.delivered++
  }

  countDropped(kind: KindMetrics, reason: DropReason): void {
    this.messagesDropped++
    this.drops[reason]++
    kind.dropped++
  }

  countHandlerError(error: unknown): void {
    this.handlerErrors++
    if (this.handlerErrorSamples.length < 10) this.handlerErrorSamples.push(error)
  }

  /** Plain-object copy for printing or comparing. */
  snapshot(): Record<string, unknown> {
    return {
      events: this.events,
      messagesSent: this.messagesSent,
      messagesDelivered: this.messagesDelivered,
      messagesDropped: this.messagesDropped,
      messagesDuplicated: this.messagesDuplicated,
      bytesSent: this.bytesSent,
      bytesDelivered: this.bytesDelivered,
      answersLost: this.answersLost,
      timeouts: this.timeouts,
      handlerErrors: this.handlerErrors,
      timersDiscarded: this.timersDiscarded,
      drops: { ...this.drops },
      byKind: Object.fromEntries([...this.byKind].map(([kind, m]) => [kind, { ...m }])),
    }
  }
}
