/**
 * DStream on a shard cell (docs/protocol.md §9.7). Receiving: offers are
 * taken from the owner's keys (and pulled from the offer's endpoint only if
 * it is a member of this shard tree), held pending for anyone else, counted
 * against a quota, and finished files kept under
 * `<cell data>/streams/received/`. Sending: the owner's `borg stream send`
 * asks this node to offer a file, which it then serves to that receiver.
 *
 * BORG_STREAM_QUOTA (default 10G), BORG_STREAM_MAX (unfinished streams,
 * default 8) and BORG_STREAM_STALE_MS (a partial without progress is
 * removed after this, default 24 h) set the budgets.
 */
import { join, resolve } from 'node:path'
import { BorgError } from '../../core/errors.js'
import { canonicalPeerEndpoint } from '../../core/net/relayed-endpoint.js'
import { parseSize } from '../../core/storage/size.js'
import { ownTreeMembers } from '../../core/tree/member-view.js'
import type { Member } from '../../core/tree/types.js'
import { AllowList, Consent } from '../../core/stream/consent.js'
import { StreamIntake } from '../../core/stream/intake.js'
import { ownerIdentity } from '../../core/stream/owner-identity.js'
import { PendingOffers } from '../../core/stream/pending.js'
import type { StreamLimits } from '../../core/stream/quota.js'
import { StreamReceiver } from '../../core/stream/receiver.js'
import { registerStreamRoutes } from '../../core/stream/routes.js'
import { StreamSources } from '../../core/stream/sources.js'
import type { Organ, OrganContext } from '../../core/cell/types.js'
import { SHARD_KIND } from './messages.js'
import { Periodic } from '../../core/time/periodic.js'

export interface StreamOrganOptions {
  limits?: Partial<StreamLimits>
  /** The node's home (for the owner's identity); default: three levels above the cell's data directory. */
  home?: string
  /** Free bytes on the disk holding the streams (tests inject one). */
  freeDisk?: (dir: string) => Promise<number>
}

/** A member list at most this old is trusted; an endpoint not in it is looked up in a fresh one (for strangers, at most FRESH_MS old). */
const MEMBERS_MS = 30_000
const FRESH_MS = 5_000

export class StreamOrgan implements Organ {
  readonly name = 'streams'
  readonly receiver: StreamReceiver
  readonly intake: StreamIntake
  readonly sources: StreamSources
  readonly allowed: AllowList
  private readonly pending: PendingOffers
  private opened?: Promise<void>
  /** Partials are swept a few times per stale period (at most every 10 min). */
  private readonly sweeps: Periodic
  private stopped = false

  constructor(
    private readonly ctx: OrganContext,
    options: StreamOrganOptions = streamOptions(process.env),
  ) {
    if (!ctx.dataDir) throw new BorgError('usage', 'the stream organ needs a data directory')
    const dir = join(ctx.dataDir, 'streams')
    this.receiver = new StreamReceiver({ dir, transport: ctx.transport, log: ctx.log, clock: ctx.clock, limits: options.limits, freeDisk: options.freeDisk })
    this.sweeps = new Periodic({
      clock: ctx.clock,
      everyMs: Math.max(1_000, Math.min(10 * 60_000, Math.floor(this.receiver.limits.staleMs / 4))),
      run: async () => void (await this.receiver.sweep()),
      onError: (error) => ctx.log.warn(`streams: sweep failed: ${error.message}`, 'stream-sweep'),
    })
    this.allowed = new AllowList(dir, ctx.log)
    this.pending = new PendingOffers(ctx.clock)
    this.sources = new StreamSources(ctx.clock, ctx.log)
    // The cell's data directory is <home>/node/cells/<cell> (src/core/node/cell-instance.ts).
    const home = options.home ?? resolve(ctx.dataDir, '..', '..', '..')
    const consent = new Consent(ctx.self.id, ownerIdentity(home, ctx.clock), this.allowed)
    this.intake = new StreamIntake({ receiver: this.receiver, pending: this.pending, consent, memberAt: memberLookup(ctx), log: ctx.log })

    registerStreamRoutes({
      net: ctx.net,
      receptor: ctx.receptor,
      ownId: ctx.self.id,
      intake: this.intake,
      sources: this.sources,
      allowed: this.allowed,
      pending: this.pending,
      transport: ctx.transport,
      selfEndpoint: () => ctx.self.endpoint,
      ready: () => this.opened,
      log: ctx.log,
    })
  }

  start(): void {
    this.opened ??= Promise.all([this.receiver.open(), this.allowed.open()]).then(() => undefined)
    this.opened.then(
      () => {
        if (!this.stopped) this.sweeps.start()
      },
      (error) => this.ctx.log.error(`streams: cannot open the stream store: ${(error as Error).message}`),
    )
  }

  stop(): void {
    this.stopped = true
    this.sweeps.stop()
  }

  status(): Record<string, unknown> {
    return { ...this.intake.counters, ...this.receiver.counters, pending: this.pending.count, sources: this.sources.count, ...this.sources.counters }
  }

}

/**
 * The shard member at an endpoint, from the member list the tree's root
 * serves: a list up to MEMBERS_MS old, then (when the endpoint is not in it)
 * a fresh one: fetched at once for the owner, at most every FRESH_MS for
 * anyone else (concurrent askers share one fetch).
 */
function memberLookup(ctx: OrganContext): (endpoint: string, eager: boolean, sender: string) => Promise<Member | undefined> {
  const members = ownTreeMembers(ctx.transport, SHARD_KIND.members, ctx.tree, ctx.clock, MEMBERS_MS)
  // Nodes behind the same relays share a via: endpoint: among those, the one that sent the offer.
  const find = (list: readonly Member[], endpoint: string, sender: string) => {
    const at = list.filter((m) => normalise(m.endpoint) === endpoint)
    return at.length > 1 ? at.find((m) => m.id === sender) : at[0]
  }
  return async (endpoint, eager, sender) => {
    const known = find(await members.list(), endpoint, sender)
    if (known) return known
    if (eager) await members.refresh({ full: true })
    else await members.refreshIfOlder(FRESH_MS)
    return find(await members.list(), endpoint, sender)
  }
}

function normalise(endpoint: string): string | undefined {
  try {
    return canonicalPeerEndpoint(endpoint)
  } catch {
    return undefined
  }
}

/** Budgets from the environment (docs/protocol.md §9.7 gives the defaults). */
export function streamOptions(env: NodeJS.ProcessEnv): StreamOrganOptions {
  const limits: Partial<StreamLimits> = {}
  const whole = (name: string, min: number): number | undefined => {
    const text = env[name]
    if (text === undefined) return undefined
    const value = Number(text)
    if (!(Number.isSafeInteger(value) && value >= min)) throw new BorgError('usage', `${name} must be a whole number ≥ ${min}`)
    return value
  }
  if (env.BORG_STREAM_QUOTA !== undefined) limits.quotaBytes = parseSize(env.BORG_STREAM_QUOTA, 'BORG_STREAM_QUOTA')
  const max = whole('BORG_STREAM_MAX', 1)
  if (max !== undefined) limits.maxStreams = max
  const stale = whole('BORG_STREAM_STALE_MS', 1_000)
  if (stale !== undefined) limits.staleMs = stale
  return { limits }
}
