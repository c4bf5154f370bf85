/**
 * The state only a root has. RootDuties (join queue, dead positions awaiting
 * repair, probes under way) lives in TreeCore.root while the node is root and
 * is dropped when it stops being root, so nothing needs resetting by hand.
 * TermLog (the roster changes committed in this term, what each deputy last
 * acknowledged) starts afresh each time the node becomes root. Maps are
 * allocated on first use.
 */
import type { Timer } from '../wire/clock.js'
import type { DeputyCert } from './messages.js'
import type { RosterOp } from './roster.js'
import type { Epoch, Member } from './types.js'

export class RootDuties {
  private joinQueueMap?: Map<string, Member>
  get joinQueue(): Map<string, Member> {
    return (this.joinQueueMap ??= new Map())
  }
  get joinQueueSize(): number {
    return this.joinQueueMap?.size ?? 0
  }
  joinTimer?: Timer
  /** The tick of the last slot booked for a joiner turned away (bookSlot), and how many it holds. */
  private laterAt = -Infinity
  private laterBooked = 0

  /**
   * Book a joiner turned away by the full queue a slot: the tick after the queue drains, or after the
   * slots booked before it, `perTick` to a tick (what the root admits in one). Returns the slot's time.
   */
  bookSlot(drainedAt: number, perTick: number, tickMs: number): number {
    if (this.laterAt < drainedAt) {
      this.laterAt = drainedAt
      this.laterBooked = 0
    } else if (this.laterBooked >= perTick) {
      this.laterAt += tickMs
      this.laterBooked = 0
    }
    this.laterBooked++
    return this.laterAt
  }

  private pendingDeadSet?: Set<number>
  /** Positions found dead, repaired in one batch. */
  get pendingDead(): Set<number> {
    return (this.pendingDeadSet ??= new Set())
  }
  get pendingDeadSize(): number {
    return this.pendingDeadSet?.size ?? 0
  }
  /** Movers of a repair plan are being probed. */
  repairing = false
  /** Every position is being probed at once (many failures). */
  sweeping = false
  private aliveAtMap?: Map<string, number>
  /** When a member last answered a probe (movers heard lately need no second probe). */
  get aliveAt(): Map<string, number> {
    return (this.aliveAtMap ??= new Map())
  }

  /** Stop being root: the pending join round is cancelled. */
  drop(): void {
    this.joinTimer?.cancel()
    this.joinTimer = undefined
  }
}

export class TermLog {
  /** Deputies a snapshot in parts is going to (sequencer.ts): no other sync to them until it is done. */
  snapshotting?: Set<string>
  private opLogList?: { epoch: Epoch; ops: RosterOp[] }[]
  /** Roster changes by epoch, so a deputy that is one step behind gets a delta, not a snapshot. */
  get opLog(): { epoch: Epoch; ops: RosterOp[] }[] {
    return (this.opLogList ??= [])
  }
  private deputyCertMap?: Map<string, DeputyCert>
  /** The certificate given to each deputy this term (its word that it is a deputy: it may then promote). */
  get deputyCerts(): Map<string, DeputyCert> {
    return (this.deputyCertMap ??= new Map())
  }
  private deputySyncedMap?: Map<string, Epoch>
  /** The epoch each deputy last acknowledged. */
  get deputySynced(): Map<string, Epoch> {
    return (this.deputySyncedMap ??= new Map())
  }
}
