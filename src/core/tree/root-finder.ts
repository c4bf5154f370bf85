/**
 * Finding one's root: a node whose parent went silent asks its root, its
 * deputies and a few contacts who the root is now (a failover may have
 * happened out of its sight) and where it stands; a node told it is stale
 * asks the root directly. The answers to `whois` (anyone may ask) carry the
 * largest tree heard of lately, a rumour that lets the small trees left by a
 * split dissolve straight into the largest one.
 */
import type { Responder } from '../wire/transport.js'
import type { WhoisReply } from './messages.js'
import { TREE_CODECS } from './codec.js'
import type { Rumour, TreeCore } from './core.js'
import { commit, neighboursOf } from './sequencer.js'
import type { Member, View } from './types.js'

const EMPTY_BODY = {}
export const PROBE = TREE_CODECS.probe.encode({})
export const WHOIS = TREE_CODECS.whois.encode({})
const WHEREAMI_UNKNOWN = TREE_CODECS.whereamiReply.encode({})

/** Parent silent for long: is the tree still there for us? */
export function orphanCheck(t: TreeCore, view: View): void {
  if (t.orphanCheckInFlight) return
  t.orphanCheckInFlight = true
  // Who is our root now? The one we know of, or whoever the deputies and
  // contacts of our tree say (a failover may have happened out of our sight).
  const asked = [t.info?.root ?? view.root, ...(t.info?.deputies ?? view.deputies), ...t.contacts.random(t.random, 3)].filter(
    (m, i, all) => m.id !== t.self.id && all.findIndex((x) => x.id === m.id) === i,
  )
  const orphaned = () => {
    t.events.orphaned++
    for (const n of t.neighbours()) t.contacts.add(n, t.self.id)
    // Orphans of one failure all notice at about the same time. A random
    // delay lets the first few found trees that the others then find and join.
    t.after(t.random.int(t.config.orphanAfterMs / 2) + 1, () => {
      t.orphanCheckInFlight = false
      if (t.view === view) t.transitions.seekRootOrFound(t, `cut off from the root of tree ${view.treeId.slice(0, 8)}`)
    })
  }
  findRootOf(t, view.treeId, asked, 0, (root) => {
    if (t.view !== view) return void (t.orphanCheckInFlight = false)
    if (!root) return orphaned()
    t.request(root, TREE_CODECS.whereami.encode({ treeId: view.treeId, member: t.self }), (error, reply) => {
      if (t.view !== view) return void (t.orphanCheckInFlight = false)
      if (error || !reply) return orphaned() // named, but silent too
      t.orphanCheckInFlight = false
      const answer = t.codecs.whereamiReply.decode(reply)
      if (!answer.view) return t.transitions.resetToJoin(t, root)
      // Only the root asked places this node, and only in the tree it asked about.
      if (answer.view.root.id === root.id && answer.view.treeId === view.treeId) t.transitions.adoptView(t, answer.view, 'whereami')
    })
  })
}

/** Ask one after another who the root of `treeId` is; undefined if nobody reachable knows. */
function findRootOf(t: TreeCore, treeId: string, asked: Member[], index: number, done: (root: Member | undefined) => void): void {
  if (index >= asked.length) return done(undefined)
  t.request(asked[index]!, WHOIS, (error, reply) => {
    if (!error && reply) {
      const w = t.codecs.whoisReply.decode(reply)
      // A root itself, or news of another root than the one we know (which is silent: it was asked first).
      const knownRoot = t.info?.treeId === treeId ? t.info.root.id : t.view?.root.id
      if (w.treeId === treeId && w.root && (w.state === 'root' || w.root.id !== knownRoot)) {
        return done(w.state === 'root' ? asked[index]! : w.root)
      }
    }
    findRootOf(t, treeId, asked, index + 1, done)
  })
}

/**
 * Whether any of `members` answers a probe as a member of tree `treeId`, asked one after another
 * (a node that restarted at the same address answers, but from outside the tree: that is no one).
 */
export function anyAlive(t: TreeCore, treeId: string, members: Member[], done: (alive: boolean) => void, index = 0): void {
  if (index >= members.length) return done(false)
  t.request(members[index]!, PROBE, (error, reply) => {
    let inTree = false
    try {
      inTree = !error && !!reply && t.codecs.probeReply.decode(reply).treeId === treeId
    } catch {
      // an unreadable answer is no answer
    }
    return inTree ? done(true) : anyAlive(t, treeId, members, done, index + 1)
  })
}

/** Ask the root where we are, at most once a heartbeat. */
export function refreshView(t: TreeCore, view: View): void {
  const now = t.now()
  if (now - t.lastRefreshAt < t.config.heartbeatMs) return
  t.lastRefreshAt = now
  whereami(t, view)
}

export function whereami(t: TreeCore, view: View): void {
  const root = t.info?.root ?? view.root
  t.request(root, TREE_CODECS.whereami.encode({ treeId: view.treeId, member: t.self }), (error, reply) => {
    if (error || !reply || t.view !== view) return
    const answer = t.codecs.whereamiReply.decode(reply)
    if (answer.view) {
      if (answer.view.root.id === root.id && answer.view.treeId === view.treeId) t.transitions.adoptView(t, answer.view, 'whereami')
    } else {
      t.log.info(`root no longer lists us in tree ${view.treeId.slice(0, 8)}: rejoining`)
      t.transitions.resetToJoin(t, root)
    }
  })
}

/** The root answers where the asking node (`member`, itself: sender-rules) stands, and records a changed endpoint. */
export function onWhereami(t: TreeCore, member: Member, r: Responder | undefined): void {
  if (t.state !== 'root' || !t.roster) return r?.fail('unavailable', 'not the root')
  const position = t.roster.positionOf(member.id)
  if (position === undefined) return r?.reply(WHEREAMI_UNKNOWN)
  if (t.roster.at(position)!.endpoint !== member.endpoint) commit(t, [{ op: 'set', position, member }], [position, ...neighboursOf(position, t.roster.maxChildren, t.roster.size)])
  r?.reply(TREE_CODECS.whereamiReply.encode({ view: t.roster.viewFor(position) }))
}

/** The public answer to `whois`: this node's state and tree, and the largest tree it heard of. */
export function whois(t: TreeCore): WhoisReply {
  const now = t.now()
  const best = bestRoot(t, now)
  const rumour = best ? { best: { treeId: best.treeId, root: best.root, size: best.size, age: Math.round(now - best.at) } } : {}
  if (t.state === 'root' && t.roster) {
    return { state: 'root', treeId: t.roster.treeId, epoch: t.roster.epoch, root: t.self, size: t.roster.size, deputies: t.roster.deputies(), ...rumour }
  }
  if (t.state === 'member' && t.info) {
    return { state: 'member', treeId: t.info.treeId, epoch: t.info.epoch, root: t.info.root, size: t.info.size, ...rumour }
  }
  return { state: t.state, ...rumour }
}

/** `ageMs`: how old the news is. Relays pass the age on, so a rumour about a vanished tree dies out. */
export function hearOfTree(t: TreeCore, treeId: string, root: Member, size: number, ageMs = 0): void {
  const now = t.now()
  const at = now - Math.max(0, ageMs)
  const current = bestRoot(t, now)
  const better = !current || size > current.size || (size === current.size && root.id < current.root.id)
  const fresher = !!current && current.root.id === root.id && at > current.at
  if (better || fresher) t.best = { treeId, root, size, at }
  bestRoot(t, now) // drop it at once if already too old
}

export function forgetTree(t: TreeCore, rootId: string): void {
  if (t.best?.root.id === rootId) t.best = undefined
}

export function bestRoot(t: TreeCore, now: number): Rumour | undefined {
  if (t.best && now - t.best.at > 10 * t.config.mergeProbeMs) t.best = undefined
  return t.best
}
