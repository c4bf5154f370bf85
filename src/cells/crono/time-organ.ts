/**
 * The crono cell's one organ: network time flows down the crono tree. Every
 * member periodically does an NTP-style exchange with its tree parent and sets
 * the node's network clock (ctx.clock, shared by all cells and used for
 * envelope timestamps and replay windows) to what its recent samples agree
 * on. The root's clock is network time. The operating-system clock is never
 * touched.
 *
 * Choices (docs/time.md §5):
 * - t0/t3 are read from the LOCAL clock (network clock minus the current
 *   offset), so θ is an absolute correction and samples stay valid across our
 *   own offset changes.
 * - The offset is applied in one step (no slewing), but a step over maxStepMs
 *   is refused once the node has ever synchronised.
 * - A node that becomes root keeps its offset: network time is the root's
 *   network clock, and a new root goes on running the network time it already
 *   had, so a failover does not make time jump.
 * - A new parent keeps the current estimate (its bound is against network
 *   time, not against the old parent) as one sample and starts the window
 *   over; a reply naming another lineage (root and era) drops every sample,
 *   as they measured another network time.
 *
 * Sans-I/O: ctx.transport, ctx.clock (timers too), ctx.tree, ctx.random only.
 */
import { BorgError } from '../../core/errors.js'
import { delayOf, exchangeBound, offsetOf, type Exchange } from '../../core/time/ntp.js'
import { LocalStepDetector, DEFAULT_STEP_THRESHOLD_MS } from '../../core/time/local-steps.js'
import { DEFAULT_SAMPLES, SampleFilter, type Sample } from '../../core/time/sample-filter.js'
import type { Timer } from '../../core/wire/clock.js'
import type { Incoming } from '../../core/wire/message.js'
import { ANYONE } from '../../core/messaging/router.js'
import type { Responder } from '../../core/wire/transport.js'
import type { Member, NodeState, View } from '../../core/tree/types.js'
import type { Organ, OrganContext } from '../../core/cell/types.js'
import { CRONO_CODECS, MAX_STRATUM } from './messages.js'
import type { TimeCounters, TimeStatus } from './status.js'

export interface TimeOrganOptions {
  /** Exchange with the parent this often once it has given us a sample, ms (±10 % jitter). */
  intervalMs: number
  /** How often the organ looks at the tree; also the retry delay until the current parent gave a sample, ms. */
  retryMs: number
  /** An exchange gives up after this long, ms. */
  timeoutMs: number
  /** Samples kept. */
  samples: number
  /** Largest rate difference between a local clock and network time, ppm (200 covers two clocks each within ±100 ppm). */
  driftPpm: number
  /** Clock reading granularity, ms: 1 for Date.now(), 0 in the simulator. */
  resolutionMs: number
  /** Refuse a single step of network time larger than this once synchronised, ms. */
  maxStepMs: number
  /** A change of (local − monotonic) beyond this is a step of the local clock, ms. */
  localStepThresholdMs: number
  /** Called after every change of the offset (logs, tests). */
  onStep?: (step: OffsetStep) => void
}

export const DEFAULT_TIME_OPTIONS: TimeOrganOptions = {
  intervalMs: 1_000,
  retryMs: 500,
  timeoutMs: 2_000,
  samples: DEFAULT_SAMPLES,
  driftPpm: 200,
  resolutionMs: 1,
  maxStepMs: 86_400_000,
  localStepThresholdMs: DEFAULT_STEP_THRESHOLD_MS,
}

/** Which network time: a root's network clock during one tenure of it as root. */
export interface Lineage {
  root: string
  /** The root's network time, whole ms, when it became root. */
  era: number
}

export function sameLineage(a: Lineage | undefined, b: Lineage | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.root === b.root && a.era === b.era)
}

/** A change of the offset, or of the network time followed ('root': this node became root; the offset stays). */
export interface OffsetStep {
  reason: 'sample' | 'local-step' | 'root'
  fromMs: number
  toMs: number
  /** Bound just before, against lineageBefore (Infinity when there was none). */
  boundBeforeMs: number
  boundAfterMs: number
  lineageBefore: Lineage | undefined
  lineageAfter: Lineage | undefined
}

/** What the organ uses of an OrganContext (narrower, so tests can hand it a stub tree). */
export type TimeOrganContext = Pick<OrganContext, 'net' | 'transport' | 'clock' | 'random' | 'log' | 'self'> & {
  tree: { readonly state: NodeState; readonly view?: View }
}

type Serving = { synced: false; bound: number } | { synced: true; bound: number; lineage: Lineage; stratum: number }

export class TimeOrgan implements Organ {
  readonly name = 'time'
  private readonly options: TimeOrganOptions
  private readonly filter: SampleFilter
  private readonly localSteps: LocalStepDetector
  private running = false
  private timer: Timer | undefined
  /** The network time the kept samples measured (this node's own while it is root). */
  private lineage: Lineage | undefined
  private isRoot = false
  private inherited: (Lineage & { boundMs: number }) | undefined
  private parentId: string | undefined
  /** The current parent has given us a sample: from now on exchange at the slow interval. */
  private parentGaveSample = false
  private inFlight = false
  private lastAttemptAt = -Infinity
  private nextIntervalMs: number
  private everSynced = false
  /** Monotonic time of the last sample taken into the filter. */
  private lastSampleAt: number | undefined
  private readonly counters: TimeCounters = { exchanges: 0, failures: 0, unsyncedParent: 0, outliers: 0, refused: 0, localSteps: 0, localStepsMs: 0 }

  constructor(
    private readonly ctx: TimeOrganContext,
    options: Partial<TimeOrganOptions> = {},
  ) {
    this.options = { ...DEFAULT_TIME_OPTIONS, ...options }
    this.filter = new SampleFilter(this.options.samples, this.options.driftPpm)
    this.localSteps = new LocalStepDetector(this.options.localStepThresholdMs)
    this.nextIntervalMs = this.options.intervalMs
    ctx.net.on(CRONO_CODECS.sync.kind, ANYONE, (message, responder) => {
      if (!responder) return
      if (!this.running) return responder.fail('unavailable', 'the crono cell is stopped')
      this.cancelLocalStep() // before t1, so both readings use the same local clock
      // t1 as the message arrived: the time spent verifying it is not transit.
      this.onSyncRequest(message, message.receivedAt ?? ctx.clock.now(), responder)
    })
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.localSteps.reset()
    this.tick()
  }

  stop(): void {
    this.running = false
    this.timer?.cancel()
    this.timer = undefined
  }

  status(): Record<string, unknown> {
    return { ...this.timeStatus() }
  }

  timeStatus(): TimeStatus {
    const now = this.ctx.clock.monotonic()
    const serving = this.serving(now)
    const estimate = this.isRoot ? undefined : this.filter.estimate(now)
    return {
      nowMs: this.ctx.clock.now(),
      offsetMs: this.ctx.clock.offset,
      boundMs: serving.synced ? serving.bound : null,
      synced: serving.synced,
      source: this.isRoot ? 'root' : (estimate?.tightest.source ?? null),
      root: serving.synced ? serving.lineage.root : null,
      era: serving.synced ? serving.lineage.era : null,
      stratum: serving.synced ? serving.stratum : null,
      samples: this.isRoot ? 0 : this.filter.size,
      lastSyncAgoMs: estimate && this.lastSampleAt !== undefined ? now - this.lastSampleAt : null,
      inherited: this.isRoot && this.inherited ? { ...this.inherited } : null,
      counters: { ...this.counters },
    }
  }

  // ------------------------------------------------------------------ loop

  private tick(): void {
    if (!this.running) return
    const now = this.ctx.clock.monotonic()
    this.cancelLocalStep()
    const tree = this.ctx.tree
    if (tree.state === 'root') this.actAsRoot(now)
    else {
      if (this.isRoot) this.stopBeingRoot()
      const parent = tree.state === 'member' ? tree.view?.parent : undefined
      if (parent) this.maybeExchange(parent, now)
    }
    this.timer = this.ctx.clock.after(this.options.retryMs, () => this.tick())
  }

  private actAsRoot(now: number): void {
    if (this.isRoot) return
    const bound = this.filter.boundFor(this.ctx.clock.offset, now)
    // Network time continues from this node's clock: the offset stays as it is.
    const before = this.lineage
    this.inherited = before && bound < Infinity ? { ...before, boundMs: bound } : undefined
    this.isRoot = true
    this.lineage = { root: this.ctx.self.id, era: Math.floor(this.ctx.clock.now()) }
    this.filter.clear()
    this.parentId = undefined
    const offset = this.ctx.clock.offset
    this.options.onStep?.({ reason: 'root', fromMs: offset, toMs: offset, boundBeforeMs: bound, boundAfterMs: 0, lineageBefore: before, lineageAfter: this.lineage })
    if (this.inherited) this.ctx.log.info(`crono: this node is the root now; network time runs on from its clock (offset ${offset.toFixed(3)} ms kept, within ±${bound.toFixed(3)} ms of the old root's)`)
    else this.ctx.log.info(`crono: this node is the root; its network clock (offset ${offset.toFixed(3)} ms) is network time`)
  }

  /** A former root has no samples: it starts over under its new parent, keeping its offset meanwhile. */
  private stopBeingRoot(): void {
    this.isRoot = false
    this.lineage = undefined
    this.inherited = undefined
    this.filter.clear()
  }

  private maybeExchange(parent: Member, now: number): void {
    if (parent.id !== this.parentId) {
      this.parentId = parent.id
      this.parentGaveSample = false
      this.filter.collapse(now)
      this.lastAttemptAt = -Infinity
    }
    const wait = this.parentGaveSample ? this.nextIntervalMs : this.options.retryMs
    if (this.inFlight || now - this.lastAttemptAt < wait) return
    this.exchange(parent, now)
  }

  // -------------------------------------------------------------- exchange

  private exchange(parent: Member, now: number): void {
    this.inFlight = true
    this.lastAttemptAt = now
    this.nextIntervalMs = this.options.intervalMs * (0.9 + 0.2 * this.ctx.random.float())
    this.counters.exchanges++
    const t0 = this.local()
    // The request echoes t0; the arithmetic uses the moment it was handed to the connection (signed) where
    // the transport reports it, so that signing and queueing on the way out do not count as transit.
    let dispatchedAt: number | undefined
    this.ctx.transport.send({ endpoint: parent.endpoint, id: parent.id }, CRONO_CODECS.sync.encode({ t0 }), {
      expectReply: true,
      timeoutMs: this.options.timeoutMs,
      onDispatch: (networkTime) => {
        dispatchedAt = networkTime - this.ctx.clock.offset
      },
      onResult: (error, reply) => {
        // t3 as the reply arrived (before its verification), like t1 at the parent: both ways then
        // carry the same work (one signing before the wire, nothing after), so the paths stay symmetric.
        const t3 = reply?.receivedAt !== undefined ? reply.receivedAt - this.ctx.clock.offset : this.local()
        this.inFlight = false
        if (!this.running) return
        try {
          if (error || !reply) {
            this.counters.failures++
            return
          }
          this.onReply(parent.id, t0, dispatchedAt ?? t0, t3, reply)
        } catch (e) {
          this.counters.failures++
          if (!(e instanceof BorgError)) throw e
          this.ctx.log.warn(`crono: bad reply from ${parent.id.slice(0, 12)}: ${e.message}`, 'crono-bad-reply')
        }
      },
    })
  }

  private onReply(parentId: string, t0: number, sentAt: number, t3: number, reply: Incoming): void {
    const tree = this.ctx.tree
    if (tree.state !== 'member' || tree.view?.parent?.id !== parentId) return // our place changed meanwhile
    if (this.cancelLocalStep() !== 0) return // t0 and t3 straddle a step of the local clock
    const body = CRONO_CODECS.syncReply.decode(reply)
    // A parent following this node's own former time would be a loop.
    if (!body.synced || body.root === this.ctx.self.id) {
      this.counters.unsyncedParent++
      return
    }
    if (body.t0 !== undefined && body.t0 !== t0) throw new BorgError('malformed', `${reply.kind}: t0 echoed wrong`)
    if (body.stratum + 1 > MAX_STRATUM) throw new BorgError('malformed', `${reply.kind}: stratum too deep`)
    const now = this.ctx.clock.monotonic()
    const e: Exchange = { t0: sentAt, t1: body.t1, t2: body.t2, t3 }
    const { driftPpm, resolutionMs } = this.options
    const sample: Sample = {
      offsetMs: offsetOf(e),
      delayMs: delayOf(e),
      boundMs: exchangeBound(e, { parentBoundMs: body.bound, driftPpm, resolutionMs }),
      at: now,
      source: parentId,
      stratum: body.stratum + 1,
    }
    const step = sample.offsetMs - this.ctx.clock.offset
    if (this.everSynced && Math.abs(step) > this.options.maxStepMs) {
      this.counters.refused++
      this.ctx.log.warn(`crono: refusing a step of ${step.toFixed(0)} ms from ${parentId.slice(0, 12)} (limit ${this.options.maxStepMs} ms)`, 'crono-refused')
      return
    }
    const before = { offset: this.ctx.clock.offset, bound: this.filter.boundFor(this.ctx.clock.offset, now), lineage: this.lineage }
    if (!sameLineage(this.lineage, body)) {
      this.filter.clear()
      this.lineage = { root: body.root, era: body.era }
    }
    if (this.filter.add(sample, now) === 'outlier') {
      this.counters.outliers++
      return
    }
    this.parentGaveSample = true
    this.everSynced = true
    this.lastSampleAt = now
    this.apply(now, before)
  }

  private apply(now: number, before: { offset: number; bound: number; lineage: Lineage | undefined }): void {
    const estimate = this.filter.estimate(now)!
    const changed = estimate.offsetMs !== before.offset
    if (changed) this.ctx.clock.setOffset(estimate.offsetMs)
    const moved = !sameLineage(before.lineage, this.lineage)
    if (!changed && !moved) return
    const step: OffsetStep = {
      reason: 'sample',
      fromMs: before.offset,
      toMs: estimate.offsetMs,
      boundBeforeMs: before.bound,
      boundAfterMs: this.filter.boundFor(estimate.offsetMs, now),
      lineageBefore: before.lineage,
      lineageAfter: this.lineage,
    }
    if (moved) {
      const jump = (step.toMs - step.fromMs).toFixed(3)
      this.ctx.log.info(`crono: following root ${this.lineage?.root.slice(0, 12)} via ${estimate.tightest.source.slice(0, 12)}: network time moved ${jump} ms, bound ±${step.boundAfterMs.toFixed(3)} ms`)
    }
    this.options.onStep?.(step)
  }

  // ---------------------------------------------------------------- serving

  private onSyncRequest(message: Incoming, t1: number, responder: Responder): void {
    let t0: number | undefined
    try {
      t0 = CRONO_CODECS.sync.decode(message).t0
    } catch (e) {
      return responder.fail('malformed', (e as Error).message)
    }
    // t2 is read last, just before replying; the bound is taken after it, so it covers t2.
    const t2 = this.ctx.clock.now()
    const serving = this.serving(this.ctx.clock.monotonic())
    if (!serving.synced) return responder.reply(CRONO_CODECS.syncReply.encode({ synced: false }))
    const { root, era } = serving.lineage
    responder.reply(CRONO_CODECS.syncReply.encode({ synced: true, t0, t1, t2, bound: serving.bound, root, era, stratum: serving.stratum }))
  }

  private serving(now: number): Serving {
    if (this.isRoot && this.lineage) return { synced: true, bound: 0, lineage: this.lineage, stratum: 0 }
    const estimate = this.filter.estimate(now)
    if (!estimate || !this.lineage) return { synced: false, bound: Infinity }
    // The offset in use was set from this filter; its bound is to the farther edge of the intersection.
    return { synced: true, bound: this.filter.boundFor(this.ctx.clock.offset, now), lineage: this.lineage, stratum: estimate.tightest.stratum }
  }

  // ------------------------------------------------------------------ clocks

  /** The local clock: network time minus the current offset. */
  private local(): number {
    return this.ctx.clock.now() - this.ctx.clock.offset
  }

  /** Cancel a step of the local clock (someone set the OS clock) so network time stays continuous. Returns the step. */
  private cancelLocalStep(): number {
    const step = this.localSteps.check(this.local(), this.ctx.clock.monotonic())
    if (step === 0) return 0
    this.counters.localSteps++
    this.counters.localStepsMs += step
    const from = this.ctx.clock.offset
    this.filter.shift(step)
    this.ctx.clock.setOffset(from - step)
    this.ctx.log.warn(`crono: the local clock stepped by ${step.toFixed(0)} ms; network time kept continuous`, 'crono-local-step')
    const bound = this.serving(this.ctx.clock.monotonic()).bound
    this.options.onStep?.({ reason: 'local-step', fromMs: from, toMs: from - step, boundBeforeMs: bound, boundAfterMs: bound, lineageBefore: this.lineage, lineageAfter: this.lineage })
    return step
  }
}
