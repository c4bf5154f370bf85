/**
 * What a parent answers its children's beats: a child in place and up to date gets the plain
 * `childOk` answer (the same bytes for all, from the second on a body kept for reuse, which receivers
 * decode once); one behind on tree info, or new to the tree, gets the info and a few contacts; a node
 * that is not its child there, `childOk: false` and contacts.
 */
import { describe, expect, it } from 'vitest'
import { simSeed, withSeedOnFailure } from '../../src/core/sim/seed.js'
import { isReused } from '../../src/core/tree/body-pool.js'
import { TREE_CODECS } from '../../src/core/tree/codec.js'
import { firstChildOf } from '../../src/core/tree/position.js'
import type { Epoch } from '../../src/core/tree/types.js'
import { BodyType, NO_TARGET, type Outgoing } from '../../src/core/wire/message.js'
import { atPosition, joinStorm, type SimMember, type SimOrganism } from '../helpers/tree-sim.js'

/** Beat to `parent` as `child` (its real id), with `known` as the child's tree info epoch; the answer's body. */
function beat(parent: SimMember, child: SimMember, known: Epoch | undefined): Uint8Array {
  const view = child.tree.view!
  const out = TREE_CODECS.hb.encode({ treeId: view.treeId, epoch: view.epoch, position: view.position, known })
  let answer: Outgoing | undefined
  parent.sim.transport.handler!(
    { kind: out.kind, from: new Uint8Array(0), fromHex: child.sim.id, to: NO_TARGET, id: new Uint8Array(16), timestamp: 0, body: out.body!, bodyType: BodyType.json, expectsReply: true },
    { reply: (m) => (answer = m), fail: (code, text) => expect.fail(`${code}: ${text}`) },
  )
  return answer!.body!
}
const decoded = (body: Uint8Array) => JSON.parse(Buffer.from(body).toString('utf8')) as { childOk: boolean; info?: { epoch: Epoch }; contacts?: unknown[] }

describe('heartbeat answers', () => {
  it('the plain answer, shared, to children up to date; info and contacts to those behind; contacts to a stranger', () => {
    const seed = simSeed(41)
    let o: SimOrganism | undefined
    withSeedOnFailure(
      seed,
      () => {
        o = joinStorm({ seed, nodes: 300, maxChildren: 10, link: { latencyMs: 10, jitterMs: 5 } }).organism
        o.sim.runFor(10_000)
        const parent = atPosition(o, 2)
        const first = firstChildOf(2, 10)
        const children = [0, 1, 2, 3].map((i) => atPosition(o!, first + i))
        const info = parent.tree.info!
        expect(info.epoch.seq).toBeGreaterThan(0)

        // Up to date: the plain answer; from the second on, one body kept for reuse.
        const plain = children.map((c) => beat(parent, c, info.epoch))
        expect(decoded(plain[0]!)).toEqual({ childOk: true, epoch: parent.tree.view!.epoch })
        expect(isReused(plain[1]!)).toBe(true)
        expect(plain[2]).toBe(plain[1])

        // Behind: the info and a few contacts.
        const behind: Epoch = { term: info.epoch.term, seq: 0 }
        for (const c of children) {
          const a = decoded(beat(parent, c, behind))
          expect(a.childOk).toBe(true)
          expect(a.info?.epoch).toEqual(info.epoch)
          expect(a.contacts?.length).toBeGreaterThan(0)
        }

        // New to the tree (no info at all): info and a few of the parent's contacts.
        const fresh = decoded(beat(parent, children[0]!, undefined))
        expect(fresh.info?.epoch).toEqual(info.epoch)
        expect(fresh.contacts?.length).toBeGreaterThan(0)

        // Not a child of this parent: not childOk, and contacts.
        const stranger = atPosition(o, 50)
        const wrong = decoded(beat(parent, stranger, behind))
        expect(wrong.childOk).toBe(false)
        expect(wrong.contacts?.length).toBeGreaterThan(0)
      },
      () => o?.sim,
    )
  })
})
