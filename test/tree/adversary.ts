/**
 * A simulated attacker on a tree: it holds a valid key of its own (it signs as
 * itself through its own Notary, never as anyone else) and sees everything
 * (tree ids, members, positions, epochs: the god's view a test has), and it
 * sends every tree message kind at random with forged roles, origins and
 * claims. As an outsider it has no place in the tree; as a member it joined
 * like anyone and keeps its place, forging on the side, and lies in its
 * answers to whois and probes (claiming to root a huge tree).
 */
import { bytesToHex } from '../../src/core/bytes.js'
import { message } from '../../src/core/tree/body-pool.js'
import { KIND } from '../../src/core/tree/messages.js'
import { broadcastSignedBytes, extendChain, routeSignedBytes, signature } from '../../src/core/tree/origin.js'
import type { SimMember, SimOrganism } from '../helpers/sim-organism.js'
import type { Member } from '../../src/core/tree/types.js'
import type { SimNode } from '../../src/core/sim/sim-network.js'
import { BodyType, type Incoming } from '../../src/core/wire/message.js'
import type { Notary } from '../../src/core/wire/notary.js'
import type { MessageHandler, Responder } from '../../src/core/wire/transport.js'

export const EVIL_KIND = 'evil.note'

const FORGERIES = ['bcast-dissolve', 'bcast-note', 'assign', 'promote', 'sync', 'merge', 'suspect', 'route', 'hb', 'shuffle', 'whereami', 'leave', 'probe', 'whois'] as const

export class Adversary {
  readonly self: Member
  readonly notary: Notary
  sent = 0
  readonly sentByKind = new Map<string, number>()

  constructor(
    private readonly o: SimOrganism,
    private readonly node: SimNode,
    /** The honest handler of a member adversary (its TreeNode), or none for an outsider. */
    honest?: MessageHandler,
  ) {
    this.self = { id: node.id, endpoint: node.endpoint }
    this.notary = o.notaries.notaryFor(node.id)
    node.transport.onMessage((m, r) => this.answer(m, r, honest))
  }

  /** Forge `count` messages, one every `everyMs` of virtual time. */
  attack(count: number, everyMs: number): void {
    for (let i = 0; i < count; i++) this.o.sim.after(i * everyMs, () => this.forgeOne())
  }

  private get random() {
    return this.node.random
  }

  private honestNodes(): SimMember[] {
    return this.o.live().filter((n) => n.sim.id !== this.self.id)
  }

  private pick<T>(list: readonly T[]): T {
    return list[this.random.int(list.length)]!
  }

  private root(): SimMember | undefined {
    return this.o.roots().find((r) => r.sim.id !== this.self.id)
  }

  /** Lies: the root of a tree of a million nodes, whose deputies are honest nodes (that will not vouch). */
  private answer(m: Incoming, r: Responder | undefined, honest: MessageHandler | undefined): void {
    if (m.kind === KIND.whois && r) {
      const deputies = this.honestNodes().slice(0, 3).map((n, i) => ({ id: n.sim.id, endpoint: n.sim.endpoint, position: i + 2 }))
      return r.reply(message(KIND.whoisReply, { state: 'root', treeId: 'f'.repeat(32), epoch: { term: 99, seq: 1 }, root: this.self, size: 1_000_000, deputies, contacts: [] }))
    }
    if (m.kind === KIND.probe && r) {
      const root = this.root()
      return r.reply(message(KIND.probeReply, { state: 'member', treeId: root?.tree.view?.treeId, position: 2, epoch: { term: 99, seq: 0 }, root: this.self }))
    }
    if (honest) return honest(m, r)
    r?.fail('unknown-kind', 'no')
  }

  private send(to: SimMember, kind: string, body: unknown, expectReply = false): void {
    this.sent++
    this.sentByKind.set(kind, (this.sentByKind.get(kind) ?? 0) + 1)
    this.node.transport.send({ endpoint: to.sim.endpoint, id: to.sim.id }, message(kind, body), { expectReply, onResult: () => {} })
  }

  private forgeOne(): void {
    const root = this.root()
    const targets = this.honestNodes()
    if (!root || targets.length === 0) return
    const target = this.pick(targets)
    const view = target.tree.view ?? root.tree.view!
    const treeId = view.treeId
    const rootMember = { id: root.sim.id, endpoint: root.sim.endpoint }
    const now = Math.floor(this.node.clock.now())
    const forgedOrigin = this.random.float() < 0.5
    const origin = forgedOrigin ? rootMember.id : this.self.id
    const sign = (bytes: Uint8Array) => (this.random.float() < 0.5 ? signature(this.notary, bytes) : Buffer.from(this.random.bytes(64)).toString('base64'))
    const term = (root.tree.roster?.epoch.term ?? 1) + 1 + this.random.int(3)
    const chain = extendChain(this.notary, this.self.id, treeId, [], term, this.random.float() < 0.5 ? this.self.id : target.sim.id)
    switch (this.pick(FORGERIES)) {
      case 'bcast-dissolve':
      case 'bcast-note': {
        const dissolve = this.random.float() < 0.5
        const kind = dissolve ? KIND.dissolve : EVIL_KIND
        const inner = dissolve ? { treeId, root: this.self, term, chain } : { text: 'forged' }
        const unsigned = { treeId, bid: `${origin.slice(0, 16)}:${bytesToHex(this.random.bytes(8))}`, origin, kind, body: Buffer.from(JSON.stringify(inner)).toString('base64'), bodyType: BodyType.json, hops: 1, at: now }
        return this.send(target, KIND.bcast, { ...unsigned, sig: sign(broadcastSignedBytes(unsigned)) })
      }
      case 'assign': {
        const forged = { ...view, epoch: { term, seq: 0 }, root: this.random.float() < 0.5 ? rootMember : this.self, position: 2 + this.random.int(50), parent: this.self, children: [] }
        return this.send(target, KIND.assign, { ...forged, chain })
      }
      case 'promote':
        return this.send(target, KIND.promote, { treeId, epoch: { term, seq: 0 }, snapshot: [{ id: target.sim.id, endpoint: target.sim.endpoint }, this.self], chain })
      case 'sync':
        return this.send(target, KIND.sync, { treeId, epoch: { term, seq: 0 }, snapshot: [this.self, { id: target.sim.id, endpoint: target.sim.endpoint }], maxChildren: 5, chain }, true)
      case 'merge':
        return this.send(root, KIND.merge, { treeId: 'f'.repeat(32), epoch: { term: 99, seq: 1 }, root: this.self, size: 1_000_000 })
      case 'suspect': {
        const victim = this.pick(targets)
        return this.send(root, KIND.suspect, { treeId, position: victim.tree.view?.position ?? 2, id: victim.sim.id })
      }
      case 'route': {
        const unsigned = { treeId, dst: { node: target.sim.id }, src: forgedOrigin ? rootMember : this.self, kind: EVIL_KIND, body: Buffer.from('{"text":"forged"}').toString('base64'), bodyType: BodyType.json, hops: 1, rid: bytesToHex(this.random.bytes(8)), at: now }
        return this.send(target, KIND.route, { ...unsigned, sig: sign(routeSignedBytes(unsigned)) })
      }
      case 'hb':
        return this.send(target, KIND.hb, { treeId, epoch: { term, seq: 5 }, position: (view.position ?? 1) * 5 + 1, known: { term: 0, seq: 0 } }, true)
      case 'shuffle':
        return this.send(target, KIND.shuffle, { contacts: [this.self, { id: 'ed' + 'f'.repeat(64), endpoint: 'n999999' }] }, true)
      case 'whereami':
        return this.send(root, KIND.whereami, { treeId, member: this.random.float() < 0.5 ? this.self : { id: target.sim.id, endpoint: this.self.endpoint } }, true)
      case 'leave':
        // For someone else: the root must not drop an honest node on the attacker's word.
        return this.send(root, KIND.leave, { treeId, member: { id: target.sim.id, endpoint: target.sim.endpoint }, position: target.tree.view?.position ?? 2 }, true)
      case 'probe':
        return this.send(target, KIND.probe, {}, true)
      case 'whois':
        return this.send(target, KIND.whois, {}, true)
    }
  }
}
