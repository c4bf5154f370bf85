/**
 * Joining a tree. A joiner asks the root it was pointed at, then wherever the
 * last answer pointed, otherwise its contacts and seeds in turn: a root queues
 * it (and says how long the queue takes), a member redirects it to its root,
 * a node that is joining too points it where that node is looking. With
 * nobody admitting it for a while, a joiner asks a few known nodes who their
 * root is and joins the largest tree heard of, or founds one alone. The answers
 * this node gives to other joiners are here too.
 */
import { BorgError } from '../errors.js'
import type { Responder } from '../wire/transport.js'
import { TREE_CODECS } from './codec.js'
import type { JoinReply } from './messages.js'
import { reuse } from './body-pool.js'
import type { TreeCore } from './core.js'
import { WHOIS } from './root-finder.js'
import { duties as rootDuties, enqueueJoiner } from './sequencer.js'
import { vacateForLeaf } from './repair.js'
import type { ParkedAsker } from './join-state.js'
import type { Member } from './types.js'

/** A queued joiner asks again after the root's estimated wait, but at most this many joinRetryMs later. */
const MAX_JOIN_WAIT_RETRIES = 10

/** A joiner turned away by a full queue comes back at its booked slot, but at most this much later. */
const MAX_LATER_MS = 10 * 60_000

export function joinTick(t: TreeCore, now: number): void {
  const j = t.join
  // Sent away until a booked slot: exactly that long; queued: the root's estimate, at least a retry period.
  const retryMs = j.askAgainAt !== undefined ? j.waitMs : Math.max(t.config.joinRetryMs, j.waitMs)
  const waitingForAssignment = now - j.queuedAt < retryMs
  if (!j.inFlight && !waitingForAssignment) attemptJoin(t)
  // Told to wait longer than joinRetryMs: that much more patience before seeking another tree.
  if (now - j.lastProgressAt > t.config.aloneAfterMs + Math.max(0, retryMs - t.config.joinRetryMs)) {
    j.lastProgressAt = now
    seekRootOrFound(t, `no contact admitted us for ${t.config.aloneAfterMs} ms`)
  }
}

/**
 * Before founding a tree alone, ask a few known nodes who their root is and
 * join the largest tree heard of: far fewer one-node trees to merge later.
 */
export function seekRootOrFound(t: TreeCore, why: string): void {
  const j = t.join
  if (j.seeking) return
  j.seeking = true
  const view = t.view
  const excludeTree = view?.treeId
  const candidates: { endpoint: string; id?: string }[] = [...t.contacts.random(t.random, 6), ...t.seeds.slice(0, 2).map((endpoint) => ({ endpoint }))]
  let pending = candidates.length
  let best: { root: Member; size: number } | undefined
  const finish = () => {
    if (--pending > 0) return
    j.seeking = false
    if (t.state === 'stopped' || t.view !== view) return
    if (best) {
      t.log.info(`${why}: joining the tree of root ${best.root.id.slice(0, 12)} (size ${best.size})`)
      return t.transitions.resetToJoin(t, best.root)
    }
    t.log.info(`${why}: founding a tree alone`)
    t.transitions.foundTree(t)
  }
  if (pending === 0) return void ((pending = 1), finish())
  for (const c of candidates) {
    t.deps.transport.send(c, WHOIS, {
      expectReply: true,
      timeoutMs: t.config.requestTimeoutMs,
      onResult: (error, reply) =>
        t.guard(() => {
          try {
            if (error || !reply) return
            const w = t.codecs.whoisReply.decode(reply)
            for (const option of [w.root && w.size && w.treeId ? { root: w.root, size: w.size, treeId: w.treeId } : undefined, w.best]) {
              if (!option || option.root.id === t.self.id || option.treeId === excludeTree) continue
              if (!best || option.size > best.size || (option.size === best.size && option.root.id < best.root.id)) best = { root: option.root, size: option.size }
            }
          } finally {
            finish()
          }
        }),
    })
  }
}

function joinCandidates(t: TreeCore): { endpoint: string; id?: string }[] {
  const j = t.join
  const out: { endpoint: string; id?: string }[] = []
  if (j.rootHint) out.push(j.rootHint)
  for (const c of t.contacts.random(t.random, 4)) out.push(c)
  for (const e of [...j.hints, ...t.seeds]) out.push({ endpoint: e })
  return out
}

export function attemptJoin(t: TreeCore): void {
  const j = t.join
  if (t.state !== 'joining' || j.inFlight) return
  // The root we were pointed at first; then where the last 'try' pointed; otherwise take turns among what we know.
  let target: { endpoint: string; id?: string } | undefined = j.rootHint
  const hint = j.nextHint
  j.nextHint = undefined
  if (!target && hint !== undefined && !j.recentTargets?.includes(hint)) target = { endpoint: hint }
  if (!target) {
    const candidates = joinCandidates(t)
    if (candidates.length === 0) return
    target = candidates[j.attempt++ % candidates.length]!
  }
  const recent = (j.recentTargets ??= [])
  recent.push(target.endpoint)
  if (recent.length > 8) recent.shift()
  j.inFlight = true
  if (target.id) j.queued(target.id) // a root asked to admit us may assign us a place, even if its answer is lost
  t.deps.transport.send(target, (j.joinMessage ??= reuse(TREE_CODECS.join.encode({ member: t.self }))), {
    expectReply: true,
    timeoutMs: t.config.requestTimeoutMs,
    onResult: (error, reply) =>
      t.guard(() => {
        j.inFlight = false
        j.askAgainAt = undefined
        if (t.state !== 'joining') return
        if (error?.code === 'busy' && j.rootHint && target.endpoint === j.rootHint.endpoint) {
          // The root is overloaded (a root of this version answers a full join queue with 'later' and a slot;
          // 'busy' is any node's answer to overload): it is there, so keep it and ask again (joinTick) at a random
          // point from one to one and a half retry periods on, not every tick, nor around (which leads back here).
          reportJoinFailure(t, target.endpoint, error)
          j.lastProgressAt = j.queuedAt = t.now()
          j.waitMs = t.config.joinRetryMs * (1 + 0.5 * t.random.float())
          return
        }
        if (error || !reply) {
          reportJoinFailure(t, target.endpoint, error)
          if (j.rootHint && target.endpoint === j.rootHint.endpoint) {
            j.rootHint = undefined
            j.rootHintTree = undefined
          }
          return t.after(t.config.joinTickMs, () => attemptJoin(t)) // next candidate soon
        }
        const r = t.codecs.joinReply.decode(reply)
        if (r.root?.id === t.self.id) {
          // The contact still takes this node for its root (a view from before this node restarted): no way in
          // there, and no progress, so a contact that only ever says this leads to seeking another tree in time.
          reportJoinFailure(t, target.endpoint, new BorgError('refused', 'it names this node as its root (a stale view)'))
          if (j.rootHint?.id === t.self.id) {
            j.rootHint = undefined
            j.rootHintTree = undefined
          }
          return t.after(t.config.joinTickMs, () => attemptJoin(t))
        }
        j.lastProgressAt = t.now()
        if (r.status === 'try') {
          // The contact is joining too: follow its hints (towards whoever it is waiting on), its best one first.
          const fresh = (r.endpoints ?? []).filter((e) => e !== t.self.endpoint)
          j.hints = [...new Set([...fresh, ...j.hints])].slice(0, 16)
          j.nextHint = fresh.find((e) => e !== target.endpoint)
          return t.after(t.config.joinTickMs, () => attemptJoin(t))
        }
        t.contacts.add(r.root!, t.self.id)
        j.rootHint = r.root
        j.rootHintTree = { treeId: r.treeId!, size: r.size! }
        releaseParked(t, true) // the joiners held here learn the root now
        if (r.status === 'queued') {
          j.queued(r.root!.id)
          j.queuedAt = t.now()
          j.waitMs = Math.min(r.wait ?? 0, MAX_JOIN_WAIT_RETRIES * t.config.joinRetryMs)
        } else if (r.status === 'later') {
          // The root's queue is full: it booked us a slot; ask it again then (no sooner, and no one else).
          j.queuedAt = t.now()
          j.waitMs = Math.min(r.wait!, MAX_LATER_MS)
          j.askAgainAt = j.queuedAt + j.waitMs
        } else if (r.root!.id !== t.self.id) attemptJoin(t) // redirected: ask the root itself now
      }),
  })
}

/** Codes that mean the contact is not who it should be (a foreign certificate, a bad signature): never silence. */
const VERIFICATION_FAILURES = new Set(['tls-pin', 'identity-mismatch', 'bad-signature', 'body-hash-mismatch', 'bad-reply', 'wrong-recipient', 'unsupported-version'])

function reportJoinFailure(t: TreeCore, endpoint: string, error: BorgError | null): void {
  if (!error) return
  if (VERIFICATION_FAILURES.has(error.code)) t.log.warn(`contact ${endpoint} failed verification (${error.code}): ${error.message}`, `join-verify:${endpoint}`)
  else t.log.debug(`contact ${endpoint} did not admit us: ${error.code}: ${error.message}`)
}

/** Another node asks to join (for itself: sender-rules): a root queues it, a member redirects it to its root, a joiner points it onwards. */
export function onJoin(t: TreeCore, member: Member, r: Responder | undefined, mayPark = true): void {
  if (t.state === 'root' && t.roster && t.view) {
    const duties = rootDuties(t)
    const perTick = t.config.roundsPerTick * t.config.maxChildren
    let status: 'queued' | 'later' = 'queued'
    let wait: number
    if (duties.joinQueueSize >= t.config.maxJoinQueue && !duties.joinQueue.has(member.id)) {
      // Full: book this joiner a slot after the queue and the slots booked before it, perTick to a tick, so
      // the turned-away come back spread at the pace the root admits (one more request each) rather than
      // all together after a fixed pause, again and again.
      status = 'later'
      // On the tick grid, so every joiner turned away within one tick is booked after the same point.
      const tick = t.config.joinTickMs
      const drainedAt = (Math.ceil(t.now() / tick) + Math.ceil(duties.joinQueueSize / perTick)) * tick
      wait = Math.ceil(duties.bookSlot(drainedAt, perTick, tick) - t.now())
    } else {
      if (t.deps.leafOnly?.(member)) vacateForLeaf(t, member)
      enqueueJoiner(t, member)
      // The wait: whole ticks until the queue (this joiner included) is admitted.
      wait = Math.ceil(duties.joinQueueSize / perTick) * t.config.joinTickMs
    }
    // The same answer for every joiner until the roster or the wait changes: encoded once for all of them.
    const { epoch, size } = t.roster
    const treeId = t.view.treeId
    const a = t.joinAnswer
    if (a?.key !== epoch || a.treeId !== treeId || a.wait !== wait || a.status !== status) {
      const body: JoinReply = { status, treeId, root: t.self, size, wait }
      t.joinAnswer = { key: epoch, treeId, wait, status, message: reuse(TREE_CODECS.joinReply.encode(body)) }
    }
    return r?.reply(t.joinAnswer!.message)
  }
  const root = t.info?.root ?? t.view?.root
  if (t.state === 'member' && root && t.view) {
    const key = t.info ?? t.view
    if (t.joinAnswer?.key !== key || t.joinAnswer.treeId !== t.view.treeId) {
      const body: JoinReply = { status: 'redirect', treeId: t.view.treeId, root, size: t.info?.size ?? t.view.size }
      t.joinAnswer = { key, treeId: t.view.treeId, message: reuse(TREE_CODECS.joinReply.encode(body)) }
    }
    return r?.reply(t.joinAnswer.message)
  }
  const j = t.join
  // Joining ourselves, queued at a root (or sent to one): send the asker there too.
  if (t.state === 'joining' && j.rootHint && j.rootHintTree && j.rootHint.id !== member.id) {
    return r?.reply(TREE_CODECS.joinReply.encode({ status: 'redirect', treeId: j.rootHintTree.treeId, root: j.rootHint, size: j.rootHintTree.size }))
  }
  // No root known yet: hold the asker until one is (a redirect then), rather than send it along the same
  // chain of contacts this node is following (a 'try' per link of it).
  if (mayPark && r && t.state === 'joining' && parkAsker(t, member, r)) return
  // Otherwise point the asker where we are looking (towards a root).
  const endpoints = [...(j.rootHint ? [j.rootHint.endpoint] : []), ...j.hints.slice(0, 4), ...t.seeds, ...t.contacts.random(t.random, 4).map((c) => c.endpoint)]
  r?.reply(TREE_CODECS.joinReply.encode({ status: 'try', endpoints: [...new Set(endpoints)].filter((e) => e !== member.endpoint).slice(0, 8) }))
}

/**
 * A joining node that knows no root holds at most this many other joiners' requests, each until it
 * learns a root (answered 'redirect' then) or for half a heartbeat to a heartbeat and a half (its next
 * ticks; answered 'try' then): under the requester's timeout, two heartbeats. Beyond the bound, 'try' at once.
 */
export const MAX_PARKED_ASKERS = 64

function parkAsker(t: TreeCore, member: Member, r: Responder): boolean {
  const parked = (t.join.parked ??= [])
  if (parked.length >= MAX_PARKED_ASKERS || parked.some((p) => p.member.id === member.id)) return false
  parked.push({ member, r, at: t.now() })
  return true
}

/**
 * Answer held joiners: all of them when `all` (a root is known now) or this node is no longer joining;
 * otherwise (every tick) those held at least half a heartbeat.
 */
export function releaseParked(t: TreeCore, all = false): void {
  const parked = t.join.parked
  if (!parked) return
  const everyone = all || t.state !== 'joining'
  const oldest = t.now() - t.config.heartbeatMs / 2
  const due: ParkedAsker[] = []
  const kept: ParkedAsker[] = []
  for (const p of parked) (everyone || p.at <= oldest ? due : kept).push(p)
  if (due.length === 0) return
  t.join.parked = kept.length > 0 ? kept : undefined
  for (const p of due) onJoin(t, p.member, p.r, false)
}
