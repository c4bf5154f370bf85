/**
 * What a joining node keeps between attempts: where it was pointed, what it
 * asked lately, and what the root said about its wait. Some of it survives
 * the whole life of the node on purpose (the turn counter over candidates,
 * the hints of an earlier attempt until a join succeeds); `restart` and
 * `joined` say which fields each event resets.
 */
import type { Outgoing } from '../wire/message.js'
import type { Responder } from '../wire/transport.js'
import type { Member } from './types.js'

/** Other joiners' requests held until this node knows a root (joiner.ts parkAsker). */
export interface ParkedAsker {
  member: Member
  r: Responder
  at: number
}

const NO_HINTS: readonly string[] = Object.freeze([])

export class JoinState {
  /** Endpoints other joiners pointed us to (one shared empty list while there are none). */
  hints: readonly string[] = NO_HINTS
  rootHint?: Member
  /** The tree of `rootHint` when an answer named it (queued, redirect): other joiners are redirected there. */
  rootHintTree?: { treeId: string; size: number }
  /** After a 'try': the first endpoint it named, asked next (pointer jumping: each asks what the other found). */
  nextHint?: string
  /** Endpoints asked lately: a hint pointing back among them is a cycle, so take turns instead. */
  recentTargets?: string[]
  /** This node's join request (always the same body) while joining. */
  joinMessage?: Outgoing
  inFlight = false
  queuedAt = -Infinity
  /** How long the root said the queue would take (clamped): no repeated request before that. */
  waitMs = 0
  /** Told 'later' (the root's queue was full): when the root booked this joiner's next request. */
  askAgainAt?: number
  lastProgressAt = 0
  /** Turns taken over the candidates (never reset: successive attempts keep rotating). */
  attempt = 0
  /** Other joiners' requests held while this node knows no root yet (at most MAX_PARKED_ASKERS). */
  parked?: ParkedAsker[]
  /** A whois round (seekRootOrFound) is under way. */
  seeking = false
  /** The last two roots asked to admit this node or that queued it: their assignment (or first deputy sync) is expected. */
  private lastQueuedBy?: string
  private earlierQueuedBy?: string

  /** Whether `id` may assign this joiner a place: the root it was pointed at, or one asked lately. */
  queuedBy(id: string): boolean {
    return this.rootHint?.id === id || this.lastQueuedBy === id || this.earlierQueuedBy === id
  }

  /** A root was asked to admit this node, or answered 'queued'. */
  queued(root: string): void {
    if (this.lastQueuedBy === root) return
    this.earlierQueuedBy = this.lastQueuedBy
    this.lastQueuedBy = root
  }

  /** A new joining phase towards `target` (or whatever can be found). */
  restart(target: Member | undefined, now: number): void {
    this.rootHint = target
    this.rootHintTree = undefined
    this.nextHint = undefined
    this.queuedAt = -Infinity
    this.waitMs = 0
    this.askAgainAt = undefined
    this.lastProgressAt = now
  }

  /** Joined a tree: joining-only state goes (a later rejoin starts from contacts, which are fresher). */
  joined(): void {
    this.lastQueuedBy = undefined
    this.earlierQueuedBy = undefined
    this.hints = NO_HINTS
    this.rootHintTree = undefined
    this.recentTargets = undefined
    this.nextHint = undefined
    this.joinMessage = undefined
  }
}
