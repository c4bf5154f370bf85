/**
 * What a parent answers its children's beats: a child in place and up to date gets the plain
 * `childOk` answer; one in place but behind on tree info gets the info alone, the same bytes for
 * every such child (receivers decode a reused body once); only a child new to the tree, or one not
 * in place, also gets contacts.
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
  it('info alone, in the same bytes, to children in place that are behind; contacts only to a child new to the tree', () => {
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

        // Up to date: the plain answer.
        expect(decoded(beat(parent, children[0]!, info.epoch))).toEqual({ childOk: true, epoch: parent.tree.view!.epoch })

        // Behind: the info, no contacts; from the second such answer on, one reused body for all.
        const behind: Epoch = { term: info.epoch.term, seq: 0 }
        const answers = children.map((c) => beat(parent, c, behind))
        for (const body of answers) {
          const a = decoded(body)
          expect(a.childOk).toBe(true)
          expect(a.info?.epoch).toEqual(info.epoch)
          expect(a.contacts).toBeUndefined()
        }
        expect(isReused(answers[1]!)).toBe(true)
        expect(answers[2]).toBe(answers[1])
        expect(answers[3]).toBe(answers[1])

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
