/**
 * Peer sampling: every node trades a few contacts with a random one now and
 * then, so every contact book stays a random sample of the live network and
 * not just of its own tree (which is how split trees find each other).
 */
import type { Incoming } from '../wire/message.js'
import type { Responder } from '../wire/transport.js'
import { KIND, contactsMessage } from './codec.js'
import type { TreeCore } from './core.js'

export function shuffle(t: TreeCore, now: number): void {
  if (now - t.lastShuffleAt < t.config.shuffleMs) return
  t.lastShuffleAt = now
  const target = t.contacts.random(t.random, 1)[0]
  if (!target) return
  const offer = [t.self, ...t.contacts.random(t.random, 3, target.id)]
  t.request(target, contactsMessage(KIND.shuffle, offer), (error, reply) => {
    if (error || !reply) return t.contacts.remove(target.id) // gone: make room for someone alive
    for (const c of t.decode.shuffle(reply).contacts) t.contacts.add(c, t.self.id)
  })
}

export function onShuffle(t: TreeCore, m: Incoming, r: Responder | undefined, from: string): void {
  const offered = t.decode.shuffle(m)
  r?.reply(contactsMessage(KIND.shuffleReply, t.contacts.random(t.random, 4, from)))
  for (const c of offered.contacts) t.contacts.add(c, t.self.id)
}
