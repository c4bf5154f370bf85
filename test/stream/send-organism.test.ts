/**
 * `borg stream send|pending|accept|allow` as the commands run them (through
 * running.json and the node key of each home), between organism nodes in
 * this process over HTTPS on 127.0.0.1: the sending node serves the file,
 * the receiving node pulls it from that member of its shard tree once its
 * owner consented; a node outside the tree is refused; a node that joined
 * after the receiver last fetched its member list is found by a fresh one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFile, writeFile } from 'node:fs/promises'
import { createHash, randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { BorgError } from '../../src/core/errors.js'
import type { OrganismNode } from '../../src/core/node/organism-node.js'
import { shardCell } from '../../src/cells/shard/index.js'
import { acceptOffer, allowKey, listPending, sendThroughNode } from '../../src/core/stream/control.js'
import { organismNodes } from '../helpers/organism-nodes.js'

const organism = organismNodes('borg-send-organism-', [shardCell])
const outside = organismNodes('borg-send-outside-', [shardCell])
let b: OrganismNode
let a: OrganismNode
let c: OrganismNode
const homeOf = (n: OrganismNode) => [...organism.homes, ...outside.homes][[...organism.nodes, ...outside.nodes].indexOf(n)]!
const recp = (n: OrganismNode) => n.cells[0]!.endpoints.recp
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

afterAll(async () => {
  await organism.stopAll()
  await outside.stopAll()
})

async function formed(nodes: OrganismNode[]): Promise<void> {
  const deadline = Date.now() + 20_000
  while (!nodes.every((n) => n.cells[0]!.tree.status().treeSize === nodes.length)) {
    if (Date.now() > deadline) throw new Error(`the nodes did not form one tree of ${nodes.length}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

async function fileOf(size: number) {
  const data = randomBytes(size)
  const path = join(homeOf(a), `send-${randomBytes(4).toString('hex')}.bin`)
  await writeFile(path, data)
  return { data, path }
}

beforeAll(async () => {
  b = await organism.start([])
  a = await organism.start([b.cells[0]!.endpoints.net])
  c = await outside.start([]) // a tree of its own
  await formed([a, b])
}, 30_000)

describe('borg stream send between nodes', () => {
  it("is held for the receiver's owner, pulled from the sending node once accepted, and taken at once after allow", async () => {
    const first = await fileOf(300_000)
    const held = await sendThroughNode(homeOf(a), { path: first.path, to: recp(b), pollMs: 50 }).then(
      () => undefined,
      (e: BorgError) => e,
    )
    expect(held).toBeInstanceOf(BorgError)
    expect(held!.code).toBe('refused')
    expect(held!.details).toMatchObject({ status: 'pending', receiver: b.nodeId })
    const offerId = held!.details!.offerId as string
    expect((await listPending(homeOf(b))).pending.map((p) => p.id)).toEqual([offerId])
    expect(await acceptOffer(homeOf(b), offerId)).toMatchObject({ status: 'pulling' })
    // Sending again follows (or resumes) the same stream: no second consent needed.
    const result = await sendThroughNode(homeOf(a), { path: first.path, to: recp(b), pollMs: 50 })
    expect(sha(await readFile(result.path!))).toBe(sha(first.data))

    await allowKey(homeOf(b), a.nodeId)
    expect((await listPending(homeOf(b))).allowed).toEqual([a.nodeId])
    const second = await fileOf(2_500_000)
    const direct = await sendThroughNode(homeOf(a), { path: second.path, to: recp(b), pollMs: 50 })
    expect(sha(await readFile(direct.path!))).toBe(sha(second.data))
  }, 60_000)

  it("refuses a node outside the receiver's shard tree, even one it allowed", async () => {
    await allowKey(homeOf(b), c.nodeId)
    const { path } = await fileOf(10_000)
    const refused = await sendThroughNode(homeOf(c), { path, to: recp(b) }).then(
      () => undefined,
      (e: BorgError) => e,
    )
    expect(refused?.code).toBe('refused')
    expect(refused?.message).toMatch(/not a member of this node's shard tree/)
  }, 30_000)

  it('finds a node that joined after its member list was fetched (the list is fetched again when an endpoint is missing)', async () => {
    const d = await organism.start([b.cells[0]!.endpoints.net])
    await formed([a, b, d])
    await allowKey(homeOf(b), d.nodeId)
    const { data, path } = await fileOf(50_000)
    const result = await sendThroughNode(homeOf(d), { path, to: recp(b), pollMs: 50 })
    expect(sha(await readFile(result.path!))).toBe(sha(data))
  }, 30_000)
})
