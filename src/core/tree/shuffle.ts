/**
 * Peer sampling: every node trades a few contacts with a random one now and
 * then, so every contact book stays a random sample of the live network and
 * not just of its own tree (which is how split trees find each other).
 *
 * Offered contacts are decoded as plain members (TREE_CODECS), not through the
 * node's member table: the contact book keeps its own canonical copy of each
 * one it stores, and a stranger's offer (most offers, in a large network) is
 * checked and dropped without a table lookup per contact.
 */
import type { Incoming } from '../wire/message.js'
import type { Responder } from '../wire/transport.js'
import { TREE_CODECS } from './codec.js'
import type { TreeCore } from './core.js'

export function shuffle(t: TreeCore, now: number): void {
  if (now - t.lastShuffleAt < t.config.shuffleMs) return
  t.lastShuffleAt = now
  const target = t.contacts.random(t.random, 1)[0]
  if (!target) return
  const offer = [t.self, ...t.contacts.random(t.random, 3, target.id)]
  t.request(target, TREE_CODECS.shuffle.encode({ contacts: offer }), (error, reply) => {
    if (error || !reply) return t.contacts.remove(target.id) // gone: make room for someone alive
    for (const c of TREE_CODECS.shuffle.decode(reply).contacts) t.contacts.add(c, t.self.id)
  })
}

/** Anyone may trade; what a stranger offers is not kept (no node connects where a stranger tells it to). */
export function onShuffle(t: TreeCore, m: Incoming, r: Responder | undefined, from: string): void {
  const offered = TREE_CODECS.shuffle.decode(m)
  r?.reply(TREE_CODECS.shuffleReply.encode({ contacts: t.contacts.random(t.random, 4, from) }))
  if (!knows(t, from)) return
  for (const c of offered.contacts) t.contacts.add(c, t.self.id)
}

/** A node this one already knows: in its contact book or its view of the tree. */
function knows(t: TreeCore, id: string): boolean {
  if (t.contacts.has(id)) return true
  const view = t.view
  return !!view && (view.root.id === id || view.parent?.id === id || view.children.some((c) => c.id === id) || view.deputies.some((d) => d.id === id))
}
