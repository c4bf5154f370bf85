/** One send() in progress: the message, where it goes, and who waits for the result. */
import type { BorgError } from '../errors.js'
import type { Incoming } from '../wire/message.js'
import type { KindMetrics } from './sim-metrics.js'
import type { SimNodeRecord, SimProcess } from './sim-node.js'

export type ResultCallback = (error: BorgError | null, reply?: Incoming) => void

export class Flight {
  /** The sender has had its one result (reply, ack, error or timeout). */
  done = false
  /**
   * The process whose handler got a copy. With dedupe on, a later copy reaching
   * that same process is a replay; a restarted process has lost its replay
   * cache, like the real one, and takes it.
   */
  deliveredTo: SimProcess | undefined = undefined
  /** Pending timeout event, or -1. */
  timeoutRef = -1

  constructor(
    readonly sender: SimProcess,
    readonly counter: number,
    /** Undefined when no node listens at the endpoint. */
    readonly to: SimNodeRecord | undefined,
    readonly endpoint: string,
    readonly expectedId: string | undefined,
    readonly message: Incoming,
    readonly kindMetrics: KindMetrics,
    readonly onResult: ResultCallback | undefined,
    readonly timeoutMs: number,
    /** Elapsed virtual ms at which the sender gives up. */
    readonly deadline: number,
  ) {}

  get from(): SimNodeRecord {
    return this.sender.node
  }
}
