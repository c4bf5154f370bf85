/**
 * Is this cell's net port reachable from outside? (docs/networking.md.) A
 * cell listening on loopback only is `private` to the machine, without asking
 * anyone. Otherwise it asks up to REACHABILITY_PEERS of its tree neighbours to
 * dial it back (dialback.ts): a majority of nonces arriving, among the
 * neighbours that tried, makes it `public`, fewer `private`; with no neighbour
 * able to try yet it stays `unknown` and asks again soon. Checked FIRST_CHECK_MS after start, then every RECHECK_MS, and
 * sooner when the address the neighbours see it at changes.
 */
import { isIP } from 'node:net'
import type { Logger } from '../log.js'
import type { Clock } from '../wire/clock.js'
import type { Peer } from '../wire/transport.js'
import type { DialbackChecker, DialbackOutcome } from './dialback.js'

export const REACHABILITY_PEERS = 3
export const FIRST_CHECK_MS = 10_000
export const RECHECK_MS = 30 * 60_000

export type ReachabilityState = 'public' | 'private' | 'unknown'

export interface ReachabilityStatus {
  state: ReachabilityState
  /** Why, in words (for `borg node status`). */
  reason: string
  /** The endpoints this cell advertises. */
  advertised: string[]
  /** Network time of the last check, and what each peer asked found. */
  checkedAt?: number
  outcomes?: DialbackOutcome[]
  /** The address most neighbours saw this node at, in the last check. */
  seenAs?: string
}

/** A host that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true
  return isIP(host) === 4 && host.startsWith('127.')
}

export interface ReachabilityOptions {
  checker: DialbackChecker
  clock: Clock
  log: Logger
  bindHost: string
  /** The port neighbours are asked to dial (the net port). */
  port: number
  advertised: () => string[]
  /** Tree neighbours to ask, nearest first. */
  neighbours: () => Peer[]
  /** After each check, what it found. */
  onCheck?: (status: ReachabilityStatus) => void
}

export class Reachability {
  private current: ReachabilityStatus
  private timer?: { cancel(): void }
  private running = false
  private stopped = false

  constructor(private readonly options: ReachabilityOptions) {
    this.current = isLoopbackHost(options.bindHost)
      ? { state: 'private', reason: `listening on ${options.bindHost} only: reachable from this machine`, advertised: [] }
      : { state: 'unknown', reason: 'not checked yet', advertised: [] }
  }

  status(): ReachabilityStatus {
    return { ...this.current, advertised: this.options.advertised() }
  }

  start(): void {
    if (isLoopbackHost(this.options.bindHost)) return
    this.schedule(FIRST_CHECK_MS)
  }

  stop(): void {
    this.stopped = true
    this.timer?.cancel()
  }

  /** Check now (also what the timer runs). */
  async check(): Promise<ReachabilityStatus> {
    if (this.running || this.stopped) return this.status()
    this.running = true
    try {
      const peers = dedupe(this.options.neighbours()).slice(0, REACHABILITY_PEERS)
      if (peers.length === 0) {
        this.current = { state: 'unknown', reason: 'no tree neighbour to ask yet', advertised: [] }
        this.schedule(FIRST_CHECK_MS)
        return this.status()
      }
      const verdict = await this.options.checker.check(peers, this.options.port)
      const reached = verdict.outcomes.filter((o) => o.reached).length
      const tried = verdict.outcomes.filter((o) => o.tried).length
      const seenAs = majority(verdict.outcomes.map((o) => o.seenAs).filter((s): s is string => s !== undefined))
      const changed = this.current.seenAs !== undefined && seenAs !== undefined && seenAs !== this.current.seenAs
      const state: ReachabilityState = verdict.reachable === undefined ? 'unknown' : verdict.reachable ? 'public' : 'private'
      this.current = {
        state,
        reason:
          state === 'unknown'
            ? `none of ${peers.length} neighbour${peers.length === 1 ? '' : 's'} could try a dial-back`
            : `${reached} of ${tried} neighbour${tried === 1 ? '' : 's'} that tried reached port ${this.options.port}${seenAs ? ` at ${seenAs}` : ''}`,
        advertised: [],
        checkedAt: this.options.clock.now(),
        outcomes: verdict.outcomes,
        ...(seenAs ? { seenAs } : {}),
      }
      if (changed) this.options.log.info(`neighbours now see this node at ${seenAs}: checking reachability again soon`)
      this.schedule(changed || state === 'unknown' ? FIRST_CHECK_MS : RECHECK_MS)
      this.options.onCheck?.(this.status())
      return this.status()
    } finally {
      this.running = false
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return
    this.timer?.cancel()
    this.timer = this.options.clock.after(ms, () => {
      this.check().catch((error: Error) => this.options.log.warn(`reachability check failed: ${error.message}`, 'reachability'))
    })
  }
}

function dedupe(peers: Peer[]): Peer[] {
  const seen = new Set<string>()
  return peers.filter((p) => {
    const key = p.id ?? p.endpoint
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

function majority(values: string[]): string | undefined {
  const counts = new Map<string, number>()
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1)
  let best: string | undefined
  for (const [v, n] of counts) if (best === undefined || n > counts.get(best)!) best = v
  return best
}
