/**
 * The review's attack, on real processes over real HTTPS: a key that is not a
 * member of any tree reads a tree id from the public status and POSTs tree
 * messages to the cells' net ports: a broadcast carrying `tree.dissolve` (as
 * itself, and under the root's name), a broadcast carrying a note, a forged
 * assignment, promotion, deputy sync with a self-made term certificate, and a
 * merge hint claiming a huge tree. Every one is answered `refused` (the merge
 * hint is checked and ignored), and the nodes stay in their one tree.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { bytesToHex } from '../../src/core/bytes.js'
import { BorgError } from '../../src/core/errors.js'
import { signerNotary } from '../../src/core/envelope/notary.js'
import { message } from '../../src/core/tree/body-pool.js'
import { KIND } from '../../src/core/tree/messages.js'
import { broadcastSignedBytes, extendChain, signature } from '../../src/core/tree/origin.js'
import { BodyType } from '../../src/core/wire/message.js'
import { deliver, request } from '../../src/core/messaging/requests.js'
import { reservePortSlot } from '../helpers/port-slots.js'
import { ProcessOrganism, treeProblems, waitFor, type CellView } from '../../scripts/lib/process-organism.js'
import { startClient } from '../helpers/wire.js'

const CELL = 'fstream'
// A slot of ports no other test run holds (test/helpers/port-slots.ts).
const slot = await reservePortSlot()
const organism = new ProcessOrganism(slot.portBaseAt(slot.first), { BORG_LOG_LEVEL: 'warn' })
const attacker = startClient()
afterAll(async () => {
  await attacker.transport.close()
  await organism.stopAll()
  await slot.release()
})

async function tree(): Promise<{ nodeId: string; cell: CellView }[]> {
  const all = await Promise.all(organism.nodes.map((n) => organism.status(n)))
  return all.map((s) => ({ nodeId: s.nodeId, cell: s.cells.find((c) => c.name === CELL)! }))
}

describe('a foreign key against real nodes', () => {
  it('is refused for every tree message that would change membership or speak for others', async () => {
    await organism.add([], `${CELL},shard`)
    await organism.add([0], `${CELL},shard`)
    await organism.add([0], `${CELL},shard`)
    await waitFor('one fstream tree of 3 nodes', async () => {
      const all = await Promise.all(organism.nodes.map((n) => organism.status(n)))
      return treeProblems(CELL, all).length === 0 ? all : undefined
    }, 60_000, 500)
    const before = await tree()
    const root = before.find((n) => n.cell.state === 'root')!
    const treeId = root.cell.treeId!
    const notary = signerNotary(attacker.signer)
    const self = { id: attacker.id, endpoint: '127.0.0.1:1' }
    const now = Date.now()
    const refusals: string[] = []
    const expectRefused = async (what: string, attempt: Promise<unknown>) => {
      const error = await attempt.then(() => undefined, (e: unknown) => e)
      expect(error, what).toBeInstanceOf(BorgError)
      expect((error as BorgError).code, `${what}: ${(error as Error).message}`).toBe('refused')
      refusals.push(what)
    }
    for (const target of before) {
      const peer = { endpoint: target.cell.endpoints.net, id: target.nodeId }
      const bcast = (origin: string, kind: string, inner: unknown, forge: boolean) => {
        const unsigned = { treeId, bid: `${origin.slice(0, 16)}:${bytesToHex(attacker.signer.keyId.subarray(1, 9))}${kind.length}`, origin, kind, body: Buffer.from(JSON.stringify(inner)).toString('base64'), bodyType: BodyType.json, hops: 1, at: now }
        const sig = forge ? Buffer.alloc(64, 7).toString('base64') : signature(notary, broadcastSignedBytes(unsigned))
        return deliver(attacker.transport, peer, message(KIND.bcast, { ...unsigned, sig }))
      }
      await expectRefused('dissolve as itself', bcast(attacker.id, KIND.dissolve, { treeId, root: self, term: 9, chain: extendChain(notary, attacker.id, treeId, [], 9, attacker.id) }, false))
      await expectRefused('dissolve as the root', bcast(root.nodeId, KIND.dissolve, { treeId, root: self, term: 1 }, true))
      await expectRefused('note as itself', bcast(attacker.id, 'node.note', { text: 'forged' }, false))
      await expectRefused('note as the root', bcast(root.nodeId, 'node.note', { text: 'forged' }, true))
      const chain = extendChain(notary, attacker.id, treeId, [], 7, target.nodeId)
      const view = { treeId, epoch: { term: 7, seq: 0 }, position: 2, size: 3, root: self, children: [], deputies: [], last: { ...self, position: 3 } }
      await expectRefused('assign', deliver(attacker.transport, peer, message(KIND.assign, { ...view, chain })))
      await expectRefused('promote', deliver(attacker.transport, peer, message(KIND.promote, { treeId, epoch: { term: 7, seq: 0 }, snapshot: [{ id: target.nodeId, endpoint: target.cell.endpoints.net }, self], chain })))
      await expectRefused('sync', request(attacker.transport, peer, message(KIND.sync, { treeId, epoch: { term: 7, seq: 0 }, snapshot: [self], maxChildren: 25, chain })))
      await expectRefused('leave for another', request(attacker.transport, peer, message(KIND.leave, { treeId, member: { id: target.nodeId, endpoint: target.cell.endpoints.net }, position: 2 })))
    }
    // A merge hint for a tree of a million nodes: checked with the hinting "root" (unreachable) and ignored.
    await deliver(attacker.transport, { endpoint: root.cell.endpoints.net, id: root.nodeId }, message(KIND.merge, { treeId: 'f'.repeat(32), epoch: { term: 1, seq: 0 }, root: self, size: 1_000_000 }))

    await new Promise((r) => setTimeout(r, 4_000))
    const after = await tree()
    expect(treeProblems(CELL, await Promise.all(organism.nodes.map((n) => organism.status(n))))).toEqual([])
    for (const n of after) {
      expect(n.cell.treeId).toBe(treeId)
      expect((n.cell as CellView & { events: { dissolved: number; joins: number } }).events.dissolved).toBe(0)
      expect(n.cell.notes.recent.filter((note) => note.text === 'forged')).toEqual([])
      const refused = (n.cell as CellView & { wire: { refused: Record<string, number> } }).wire.refused
      expect(refused['tree.bcast']).toBeGreaterThanOrEqual(4)
    }
    expect(after.find((n) => n.cell.state === 'root')!.nodeId).toBe(root.nodeId)
    expect(refusals).toHaveLength(8 * before.length)
  }, 120_000)
})
