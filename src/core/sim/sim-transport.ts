/**
 * One running process of a simulated node: its transport, clock and
 * randomness. crash() marks it dead, after which none of its timers fire, no
 * message reaches its handler and no callback of its sends runs; a restart
 * builds a new SimTransport for the same SimNodeRecord.
 */
import type { MessageHandler, Peer, SendOptions, Transport } from '../wire/transport.js'
import type { Outgoing } from '../wire/message.js'
import { BorgError } from '../errors.js'
import { isValidKind } from '../envelope/layout.js'
import { SimClock, type ClockOwner } from './sim-clock.js'
import type { SeededRandom } from './seeded-random.js'
import type { SimNodeRecord, SimProcess } from './sim-node.js'
import type { Simulator } from './simulator.js'

/** What carries a process's sends (the Courier). */
export interface SendCarrier {
  send(sender: SimProcess, peer: Peer, message: Outgoing, options: SendOptions | undefined): void
}

/** Kinds already found valid (a handful per run; checking each send again would cost at a million nodes). */
const checkedKinds = new Set<string>()

export class SimTransport implements Transport, ClockOwner, SimProcess {
  alive = true
  handler: MessageHandler | undefined = undefined
  readonly clock: SimClock

  constructor(
    private readonly courier: SendCarrier,
    readonly node: SimNodeRecord,
    sim: Simulator,
    readonly random: SeededRandom,
  ) {
    this.clock = new SimClock(sim, this, node)
  }

  get localId(): string {
    return this.node.id
  }

  get label(): string {
    return this.node.endpoint
  }

  /**
   * Body bytes travel by reference, not copied: neither sender nor handler may
   * mutate a body (or `from`/`id`) after sending or on receipt.
   */
  send(peer: Peer, message: Outgoing, options?: SendOptions): void {
    // As sealing an envelope does over HTTPS: a kind the wire cannot carry is refused, through onResult, and nothing is sent.
    if (!checkedKinds.has(message.kind)) {
      if (!isValidKind(message.kind)) {
        const error = new BorgError('invalid-input', `invalid message kind ${JSON.stringify(message.kind)}`)
        this.clock.after(0, () => options?.onResult?.(error))
        return
      }
      checkedKinds.add(message.kind)
    }
    this.courier.send(this, peer, message, options)
  }

  onMessage(handler: MessageHandler): void {
    this.handler = handler
  }
}
