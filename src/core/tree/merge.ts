/**
 * Split trees find each other and merge. A root probes a contact now and then
 * (every beat while its tree is small); an answer naming another tree, or a
 * newer root of its own tree (a failover happened on the other side of a
 * split), leads to comparing the two roots: the smaller tree dissolves into
 * the larger (equal sizes: the lower root id wins), so two halves always merge. The rumour of the largest tree heard of lets small
 * trees go straight there.
 *
 * Sizes are claims. Before a root dissolves its tree it asks the other root
 * itself and checks with one of that root's deputies, another key, that the
 * tree is real: a node holding one key can neither absorb a tree nor unseat
 * its root (docs/security.md).
 */
import { BodyType } from '../wire/message.js'
import type { MergeHint } from './messages.js'
import { TREE_CODECS } from './codec.js'
import type { TreeCore } from './core.js'
import { originate } from './flood.js'
import { PROBE, WHOIS, bestRoot, forgetTree, hearOfTree } from './root-finder.js'
import type { Roster } from './roster.js'
import type { Epoch, Member, Placed } from './types.js'

/** Deputies of another tree asked to vouch for it before dissolving into it. */
const VOUCHERS = 3


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
        const other = t.codecs.whoisReply.decode(reply)
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
            const w = t.codecs.whoisReply.decode(r)
            if (w.state === 'root' && w.root && w.size && w.treeId) compareTrees(t, w.treeId, w.epoch, w.root, w.size)
          })
        }
        if (other.state === 'root' || other.root.id === t.self.id) return compareTrees(t, other.treeId, other.epoch, other.root, other.size)
        // A member's idea of its tree may lag: ask its root itself before deciding anything.
        if (other.treeId === roster.treeId && (other.epoch?.term ?? 0) <= roster.epoch.term) return
        t.request(other.root, WHOIS, (error2, reply2) => {
          if (error2 || !reply2 || t.state !== 'root' || t.roster !== roster) return
          const root = t.codecs.whoisReply.decode(reply2)
          if (root.state === 'root' && root.root && root.size && root.treeId) compareTrees(t, root.treeId, root.epoch, root.root, root.size)
        })
      }),
  })
}

/** A root of another tree says it is there (sender-rules.ts checked it speaks for its own tree). */
export function onMergeHint(t: TreeCore, hint: MergeHint): void {
  if (t.state !== 'root' || !t.roster) return
  t.contacts.add(hint.root, t.self.id)
  compareTrees(t, hint.treeId, hint.epoch, hint.root, hint.size)
}

/**
 * Two roots met. Of two halves of one tree (a failover on one side of a split: the same tree id, another
 * term), the later term wins, since its members' views are newer; of two trees, or when either half is a
 * lone root, the smaller dissolves into the larger; equal sizes are broken by the lower root id, so two
 * halves always merge. The loser checks the winner first (confirmTree).
 */
function compareTrees(t: TreeCore, treeId: string, epoch: Epoch | undefined, root: Member, size: number): void {
  const roster = t.roster!
  if (root.id === t.self.id) return
  if (!beats(t, roster, treeId, epoch, root, size)) return void t.send(root, TREE_CODECS.merge.encode({ treeId: roster.treeId, epoch: roster.epoch, root: t.self, size: roster.size }))
  confirmTree(t, roster, treeId, root)
}

/** Ask `root` itself where it stands and compare (a member reported it as the root of a later term of this tree). */
export function meetRoot(t: TreeCore, root: Member): void {
  const roster = t.roster
  if (!roster || root.id === t.self.id) return
  t.request(root, WHOIS, (error, reply) => {
    if (error || !reply || t.state !== 'root' || t.roster !== roster) return
    const w = t.codecs.whoisReply.decode(reply)
    if (w.state === 'root' && w.root?.id === root.id && w.size && w.treeId) compareTrees(t, w.treeId, w.epoch, root, w.size)
  })
}

/** Whether the other tree beats this one: see compareTrees. Both roots decide alike, whichever asks. */
function beats(t: TreeCore, roster: Roster, treeId: string, epoch: Epoch | undefined, root: Member, size: number): boolean {
  const halves = treeId === roster.treeId && epoch !== undefined && epoch.term !== roster.epoch.term && size > 1 && roster.size > 1
  if (halves) return epoch.term > roster.epoch.term
  return size > roster.size || (size === roster.size && root.id < t.self.id)
}

/**
 * The other root is asked itself, then up to three of its deputies (other keys) must confirm they are in
 * its tree; a lone root (no deputies) is taken at its word only by a lone root.
 */
function confirmTree(t: TreeCore, roster: Roster, treeId: string, root: Member): void {
  const current = () => t.state === 'root' && t.roster === roster
  t.request(root, WHOIS, (error, reply) => {
    if (error || !reply || !current()) return
    const w = t.codecs.whoisReply.decode(reply)
    if (w.state !== 'root' || w.treeId !== treeId || w.root?.id !== root.id || !w.size || !beats(t, roster, treeId, w.epoch, root, w.size)) return
    const vouchers = (w.deputies ?? []).filter((d) => d.id !== root.id && d.id !== t.self.id).slice(0, VOUCHERS)
    if (vouchers.length === 0) {
      if (w.size === 1 && roster.size === 1) return dissolveInto(t, roster, treeId, root, w.size)
      t.log.warn(`tree ${treeId.slice(0, 8)} of root ${root.id.slice(0, 12)} claims ${w.size} nodes but names no deputy: not merging`, 'merge-unconfirmed')
      return forgetTree(t, root.id)
    }
    vouched(t, treeId, root, vouchers, 0, (ok) => {
      if (!current()) return
      if (ok) return dissolveInto(t, roster, treeId, root, w.size!)
      t.log.warn(`no deputy of tree ${treeId.slice(0, 8)} confirms root ${root.id.slice(0, 12)}: not merging`, 'merge-unconfirmed')
      forgetTree(t, root.id)
    })
  })
}

/** Does any of `deputies` (asked one after another) answer that it is in `treeId` under `root`? */
function vouched(t: TreeCore, treeId: string, root: Member, deputies: Placed[], index: number, done: (ok: boolean) => void): void {
  if (index >= deputies.length) return done(false)
  t.request(deputies[index]!, PROBE, (error, reply) => {
    const probe = !error && reply ? t.codecs.probeReply.decode(reply) : undefined
    if (probe && probe.treeId === treeId && probe.root?.id === root.id) return done(true)
    vouched(t, treeId, root, deputies, index + 1, done)
  })
}

function dissolveInto(t: TreeCore, roster: Roster, treeId: string, root: Member, size: number): void {
  t.events.merges++
  t.log.info(`tree ${roster.treeId.slice(0, 8)} (size ${roster.size}) dissolves into tree ${treeId.slice(0, 8)} (size ${size}) of root ${root.id.slice(0, 12)}`)
  const chain = t.chain && t.chain.length > 0 && t.chain[t.chain.length - 1]!.term === roster.epoch.term ? t.chain : undefined
  const body = { treeId: roster.treeId, root: { id: root.id, endpoint: root.endpoint }, term: roster.epoch.term, chain }
  const dissolve = TREE_CODECS.dissolve.encode(body)
  originate(t, dissolve.kind, dissolve.body!, BodyType.json)
}
