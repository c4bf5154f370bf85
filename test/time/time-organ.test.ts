/** The time organ on a few simulated nodes whose tree places the tests set by hand. */
import { describe, expect } from 'vitest'
import { simIt } from '../sim/helpers.js'
import type { SimNetwork, SimNode } from '../../src/core/sim/sim-network.js'
import type { ClockModel, SimClock } from '../../src/core/sim/sim-clock.js'
import type { AdjustableClock, Timer } from '../../src/core/wire/clock.js'
import { MessageRouter } from '../../src/core/messaging/router.js'
import { request } from '../../src/core/messaging/requests.js'
import { jsonMessage } from '../helpers/json-messages.js'
import type { NodeState, View } from '../../src/core/tree/types.js'
import { silentLogger } from '../../src/core/log.js'
import { DEFAULT_SAMPLES } from '../../src/core/time/sample-filter.js'
import { TimeOrgan, type TimeOrganOptions } from '../../src/cells/crono/time-organ.js'
import { CRONO_KIND, readSyncReply, syncRequest } from '../../src/cells/crono/messages.js'
import { cronoCell } from '../../src/cells/crono/index.js'
import { formatTimeStatus, parseTimeStatus, timeStatusOf } from '../../src/cells/crono/status.js'
import type { OrganContext } from '../../src/core/cell/types.js'

/** A SimClock whose local reading can be stepped, as an administrator would set the OS clock. */
class SteppableClock implements AdjustableClock {
  stepMs = 0
  constructor(private readonly inner: SimClock) {}
  now(): number {
    return this.inner.now() + this.stepMs
  }
  monotonic(): number {
    return this.inner.monotonic()
  }
  after(ms: number, fn: () => void): Timer {
    return this.inner.after(ms, fn)
  }
  get offset(): number {
    return this.inner.offset
  }
  setOffset(offsetMs: number): void {
    this.inner.setOffset(offsetMs)
  }
  /** Error of now() against true time. */
  error(): number {
    return this.inner.error() + this.stepMs
  }
}

interface Rigged {
  node: SimNode
  tree: { state: NodeState; view?: View }
  organ: TimeOrgan
  clock: SteppableClock
  follow(parent: Rigged): void
}

function rig(net: SimNetwork) {
  const make = (state: NodeState, clock: ClockModel = {}, options: Partial<TimeOrganOptions> = {}): Rigged => {
    const node = net.addNode(undefined, clock)
    const router = new MessageRouter()
    node.transport.onMessage(router.handle)
    const tree: { state: NodeState; view?: View } = { state, view: undefined }
    const steppable = new SteppableClock(node.clock)
    const self = { id: node.id, endpoint: node.endpoint }
    const organ = new TimeOrgan({ net: router, transport: node.transport, clock: steppable, random: node.random, log: silentLogger, self, tree }, { resolutionMs: 0, ...options })
    organ.start()
    return {
      node,
      tree,
      organ,
      clock: steppable,
      follow(parent: Rigged) {
        tree.state = 'member'
        tree.view = { parent: { id: parent.node.id, endpoint: parent.node.endpoint } } as View
      },
    }
  }
  /** |a's network time − b's network time| and a's stated bound. */
  const compare = (a: Rigged, b: Rigged) => ({ error: Math.abs(a.clock.error() - b.clock.error()), bound: a.organ.timeStatus().boundMs! })
  return { make, compare }
}

describe('the time organ', () => {
  simIt('takes no time from a parent that has none, and takes it once the parent has', 1, ({ create }) => {
    const { sim, net } = create({}, { link: { latencyMs: 10 } })
    const { make, compare } = rig(net)
    const root = make('root', { offsetMs: 0 })
    const middle = make('joining', { offsetMs: 300 })
    const leaf = make('member', { offsetMs: -200, driftPpm: 50 })
    leaf.follow(middle)
    sim.runFor(3_000)
    expect(leaf.organ.timeStatus()).toMatchObject({ synced: false, boundMs: null, source: null, offsetMs: 0 })
    expect(leaf.organ.timeStatus().counters.unsyncedParent).toBeGreaterThan(0)
    middle.follow(root)
    sim.runFor(3_000)
    expect(middle.organ.timeStatus()).toMatchObject({ synced: true, source: root.node.id, root: root.node.id, stratum: 1 })
    expect(leaf.organ.timeStatus()).toMatchObject({ synced: true, source: middle.node.id, root: root.node.id, stratum: 2 })
    const { error, bound } = compare(leaf, root)
    expect(error).toBeLessThanOrEqual(bound)
    expect(bound).toBeLessThan(25) // two hops of 10 ms each way: δ/2 = 10 per hop
    expect(Math.abs(leaf.organ.timeStatus().offsetMs + leaf.node.clock.offsetMs)).toBeLessThan(1) // symmetric links: nearly exact
  })

  simIt('as a new root keeps its offset, so network time runs on without a jump', 2, ({ create }) => {
    const { sim, net } = create({}, { link: { latencyMs: 5 } })
    const { make } = rig(net)
    const root = make('root')
    const deputy = make('member', { offsetMs: 400, driftPpm: -80 })
    deputy.follow(root)
    sim.runFor(5_000)
    const before = deputy.organ.timeStatus()
    expect(before.synced).toBe(true)
    net.crash(root.node.id)
    deputy.tree.state = 'root'
    deputy.tree.view = undefined
    sim.runFor(1_000)
    const after = deputy.organ.timeStatus()
    expect(after.offsetMs).toBe(before.offsetMs)
    expect(after).toMatchObject({ synced: true, boundMs: 0, source: 'root', root: deputy.node.id, stratum: 0, samples: 0 })
    expect(after.inherited!.root).toBe(root.node.id)
    expect(after.inherited!.boundMs).toBeGreaterThanOrEqual(before.boundMs!)
    expect(Math.abs(deputy.clock.error() - root.clock.error())).toBeLessThanOrEqual(after.inherited!.boundMs + 1)
  })

  simIt('refuses a step over a day once synchronised, and takes any step before', 3, ({ create }) => {
    const { sim, net } = create({}, { link: { latencyMs: 5 } })
    const { make } = rig(net)
    const day = 86_400_000
    const root = make('root')
    const farRoot = make('root', { offsetMs: 2 * day })
    const synced = make('member', { offsetMs: 30 })
    synced.follow(root)
    sim.runFor(3_000)
    const offset = synced.organ.timeStatus().offsetMs
    synced.follow(farRoot)
    sim.runFor(3_000)
    expect(synced.organ.timeStatus().counters.refused).toBeGreaterThan(0)
    expect(synced.organ.timeStatus().offsetMs).toBe(offset)
    expect(synced.organ.timeStatus().root).toBe(root.node.id) // still its old estimate
    const fresh = make('member')
    fresh.follow(farRoot)
    sim.runFor(3_000)
    expect(fresh.organ.timeStatus()).toMatchObject({ synced: true, root: farRoot.node.id })
    expect(fresh.organ.timeStatus().offsetMs).toBeCloseTo(2 * day, -1)
  })

  simIt('cancels a step of the local clock, on a member and on the root', 4, ({ create }) => {
    const { sim, net } = create({}, { link: { latencyMs: 5 } })
    const { make, compare } = rig(net)
    const root = make('root', { offsetMs: 100 })
    const member = make('member', { offsetMs: -100 })
    member.follow(root)
    sim.runFor(3_000)
    const rootTime = root.clock.error()
    member.clock.stepMs += 3_600_000 // someone set the member's OS clock an hour ahead
    root.clock.stepMs -= 90_000
    sim.runFor(1_000)
    expect(member.organ.timeStatus().counters.localSteps).toBe(1)
    expect(root.organ.timeStatus().counters.localSteps).toBe(1)
    expect(member.organ.timeStatus().counters.localStepsMs).toBeCloseTo(3_600_000, 0)
    expect(root.organ.timeStatus().counters.localStepsMs).toBeCloseTo(-90_000, 0)
    // A root that never took over runs on its own clock: its offset is exactly what the steps cancelled.
    expect(root.organ.timeStatus().offsetMs).toBe(-root.organ.timeStatus().counters.localStepsMs)
    expect(Math.abs(root.clock.error() - rootTime)).toBeLessThan(1) // network time at the root kept running
    const { error, bound } = compare(member, root)
    expect(error).toBeLessThanOrEqual(bound)
    expect(member.organ.timeStatus().counters.outliers).toBe(0)
  })

  simIt('keeps its estimate for a new parent and starts that parent\u2019s samples over', 5, ({ create }) => {
    const { sim, net } = create({}, { link: { latencyMs: 5 } })
    const { make, compare } = rig(net)
    const root = make('root')
    const a = make('member', { offsetMs: 50 })
    const b = make('member', { offsetMs: -50 })
    a.follow(root)
    b.follow(root)
    sim.runFor(20_000)
    expect(b.organ.timeStatus().samples).toBe(DEFAULT_SAMPLES)
    const offset = b.organ.timeStatus().offsetMs
    const boundBefore = b.organ.timeStatus().boundMs!
    b.follow(a)
    sim.runFor(600) // the organ notices the new parent and has its first answer
    const switched = b.organ.timeStatus()
    expect(switched.samples).toBeLessThanOrEqual(2) // the best old sample, and the new parent's first
    expect(switched).toMatchObject({ synced: true, source: root.node.id, stratum: 1 }) // the old, tighter sample still wins for a while
    expect(Math.abs(switched.offsetMs - offset)).toBeLessThanOrEqual(boundBefore)
    sim.runFor(60_000)
    expect(b.organ.timeStatus()).toMatchObject({ source: a.node.id, stratum: 2, samples: DEFAULT_SAMPLES })
    const { error, bound } = compare(b, root)
    expect(error).toBeLessThanOrEqual(bound)
  })

  simIt('answers sync requests only while running, and refuses malformed ones', 6, async ({ create }) => {
    const { sim, net } = create({}, { link: { latencyMs: 5 } })
    const { make } = rig(net)
    const root = make('root')
    const asker = net.addNode()
    const ask = (message = syncRequest(42)) => {
      const pending = request(asker.transport, { endpoint: root.node.endpoint }, message)
      sim.runFor(100)
      return pending
    }
    const reply = readSyncReply(await ask())
    expect(reply).toMatchObject({ synced: true, t0: 42, bound: 0, root: root.node.id, stratum: 0 })
    await expect(ask(jsonMessage(CRONO_KIND.sync, { t0: 'soon' }))).rejects.toMatchObject({ code: 'malformed' })
    root.organ.stop()
    await expect(ask()).rejects.toMatchObject({ code: 'unavailable' })
  })
})

describe('the crono cell', () => {
  simIt('has the original DNA and one organ, whose status `borg node time` can read', 7, ({ create }) => {
    const { net } = create()
    expect(cronoCell.dna).toEqual({ name: 'crono', netPort: 13396, recpPort: 13397, monPort: 13398, maxChildren: 3 })
    const node = net.addNode()
    const router = new MessageRouter()
    const context = {
      cell: 'crono',
      dna: cronoCell.dna,
      tree: { state: 'root', view: undefined },
      net: router,
      receptor: new MessageRouter(),
      transport: node.transport,
      clock: node.clock,
      random: node.random,
      log: silentLogger,
      self: { id: node.id, endpoint: node.endpoint },
      onDelivery: () => {},
    } as unknown as OrganContext
    const organs = cronoCell.organs(context)
    expect(organs.map((o) => o.name)).toEqual(['time'])
    expect(router.has(CRONO_KIND.sync)).toBe(true)
    organs[0]!.start()
    const status = timeStatusOf(organs)!
    expect(status).toMatchObject({ synced: true, boundMs: 0, source: 'root', stratum: 0 })
    expect(parseTimeStatus(JSON.parse(JSON.stringify(organs[0]!.status!())))).toEqual(status)
    expect(parseTimeStatus({ offsetMs: 'x' })).toBeUndefined()
    expect(formatTimeStatus(status)).toMatch(/bound +±0\.000 ms/)
    expect(formatTimeStatus({ ...status, synced: false, boundMs: null })).toMatch(/not synchronised/)
    organs[0]!.stop()
  })
})
