/**
 * Split trees find each other and merge. A root probes a contact now and then
 * (every beat while its tree is small); an answer naming another tree, or a
 * newer root of its own, leads to comparing the two roots: of one tree, the
 * higher term is the real root and the other steps down; of two trees, the
 * smaller dissolves into the larger (equal sizes: the lower root id wins), so
 * two halves always merge. The rumour of the largest tree heard of lets small
 * trees go straight there.
 */
import { BodyType, type Incoming } from '../wire/message.js'
import { KIND, message } from './codec.js'
import type { TreeCore } from './core.js'
import { DISSOLVE_KIND, originate } from './flood.js'
import { WHOIS, bestRoot, forgetTree, hearOfTree } from './root-finder.js'
import type { Epoch, Member } from './types.js'

export function mergeProbe(t: TreeCore): void {
  const roster = t.roster!
  // Any contact will do: our own members answer with our root (nothing to do),
  // others reveal another tree, or a newer root of ours after a failover we missed.
  const outsiders = t.contacts.random(t.random, 2, (c) => roster.positionOf(c.id) !== undefined)
  const pool: { endpoint: string; id?: string }[] =
    outsiders.length > 0 && t.random.float() < 0.5 ? outsiders : [...t.contacts.random(t.random, 2), ...t.seeds.map((endpoint) => ({ endpoint }))]
  const target = pool.length > 0 ? pool[t.random.int(pool.length)] : undefined
  if (!target || target.endpoint === t.self.endpoint) return
  t.deps.transport.send(target, WHOIS, {
    expectReply: true,
    timeoutMs: t.config.requestTimeoutMs,
    onResult: (error, reply) =>
      t.guard(() => {
        if (error || !reply) {
          if (target.id) t.contacts.remove(target.id) // unreachable: make room for live ones
          return
        }
        if (t.state !== 'root' || t.roster !== roster) return
        const other = t.decode.whoisReply(reply)
        for (const c of other.contacts ?? []) t.contacts.add(c, t.self.id) // contacts spread with every probe
        if (!other.root || !other.size || !other.treeId) return
        t.contacts.add(other.root, t.self.id)
        if (other.root.id !== t.self.id) hearOfTree(t, other.treeId, other.root, other.size)
        if (other.best && other.best.root.id !== t.self.id) hearOfTree(t, other.best.treeId, other.best.root, other.best.size, other.best.age)
        // The largest tree rumoured beats the one this probe happened to hit.
        const best = bestRoot(t, t.now())
        if (best && best.root.id !== other.root.id && best.treeId !== roster.treeId && best.size > other.size) {
          return t.request(best.root, WHOIS, (e, r) => {
            if (e || !r) return forgetTree(t, best.root.id) // unreachable: the rumour is dead
            if (t.state !== 'root' || t.roster !== roster) return
            const w = t.decode.whoisReply(r)
            if (w.state === 'root' && w.root && w.size && w.treeId) compareTrees(t, w.treeId, w.epoch, w.root, w.size)
          })
        }
        if (other.state === 'root' || other.root.id === t.self.id) return compareTrees(t, other.treeId, other.epoch, other.root, other.size)
        // A member's idea of its tree may lag: ask its root itself before deciding anything.
        if (other.treeId === roster.treeId && (other.epoch?.term ?? 0) <= roster.epoch.term) return
        t.request(other.root, WHOIS, (error2, reply2) => {
          if (error2 || !reply2 || t.state !== 'root' || t.roster !== roster) return
          const root = t.decode.whoisReply(reply2)
          if (root.state === 'root' && root.root && root.size && root.treeId) compareTrees(t, root.treeId, root.epoch, root.root, root.size)
        })
      }),
  })
}

export function onMergeHint(t: TreeCore, m: Incoming, from: string): void {
  const hint = t.decode.merge(m)
  if (t.state !== 'root' || !t.roster || hint.root.id !== from) return
  t.contacts.add(hint.root, t.self.id)
  compareTrees(t, hint.treeId, hint.epoch, hint.root, hint.size)
}

/**
 * Two roots met. Of one tree: the higher term is the real root and the other
 * steps down. Of two trees: the smaller dissolves into the larger; equal
 * sizes are broken by the lower root id, so two halves always merge.
 */
function compareTrees(t: TreeCore, treeId: string, epoch: Epoch | undefined, root: Member, size: number): void {
  const roster = t.roster!
  if (root.id === t.self.id) return
  const mine = roster.size
  const hint = () => t.send(root, message(KIND.merge, { treeId: roster.treeId, epoch: roster.epoch, root: t.self, size: mine }))
  if (treeId === roster.treeId && epoch && epoch.term !== roster.epoch.term) {
    if (epoch.term > roster.epoch.term) return t.transitions.stepDown(t, root)
    return hint()
  }
  const otherWins = size > mine || (size === mine && root.id < t.self.id)
  if (!otherWins) return hint()
  t.events.merges++
  t.log.info(`tree ${roster.treeId.slice(0, 8)} (size ${mine}) dissolves into tree ${treeId.slice(0, 8)} (size ${size}) of root ${root.id.slice(0, 12)}`)
  originate(t, DISSOLVE_KIND, new TextEncoder().encode(JSON.stringify({ root })), BodyType.json)
}
