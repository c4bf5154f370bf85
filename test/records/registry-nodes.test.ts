/**
 * The service registry on real nodes in one process, over real HTTPS
 * (records-service.ts, service-registry.ts): every node's record reaches
 * every node; a stopped node (no leave) disappears when its TTL runs out; a
 * node that leaves disappears at once; forged and expired service records
 * pushed at a node are refused; a restarted node goes on with a higher
 * sequence.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bytesToHex, utf8 } from '../../src/core/bytes.js'
import { loadOrCreateNodeKey } from '../../src/core/identity/node-key.js'
import { nodeSigner } from '../../src/core/identity/signer.js'
import { silentLogger } from '../../src/core/log.js'
import { HttpsTransport } from '../../src/core/net/https-transport.js'
import { OrganismNode } from '../../src/core/node/organism-node.js'
import { OS_ASSIGNED_PORTS } from '../../src/core/node/cell-instance.js'
import { request } from '../../src/core/messaging/requests.js'
import { RECORDS_CODECS } from '../../src/core/records/messages.js'
import { signRecord } from '../../src/core/records/record.js'
import { liveServices, SERVICES } from '../../src/core/records/service-registry.js'
import { cronoCell } from '../../src/cells/crono/index.js'
import { testSigner } from '../helpers/keys.js'
import { withLocalNode } from '../../src/core/node/local-client.js'
import { findLiveCell, services } from '../../src/client/records-client.js'
import { waitUntil } from '../helpers/wait-until.js'

const TTL = 6
const homes: string[] = []
const nodes: (OrganismNode | undefined)[] = []
let dir: string
let transport: HttpsTransport

async function startNode(i: number, contacts: string[]): Promise<OrganismNode> {
  const node = await OrganismNode.start({ home: homes[i]!, cells: [cronoCell], contacts, portBase: OS_ASSIGNED_PORTS, bindHost: '127.0.0.1', advertiseHost: '127.0.0.1', contactWaitMs: 30_000 })
  nodes[i] = node
  return node
}
const live = () => nodes.filter((n): n is OrganismNode => n !== undefined)
const now = () => Math.floor(Date.now() / 1000)
const listed = (n: OrganismNode) => liveServices(n.records!.collection(SERVICES)!, now()).map((s) => s.node).sort()

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'borg-registry-'))
  for (let i = 0; i < 4; i++) homes.push(await mkdtemp(join(dir, `node${i}-`)))
  process.env.BORG_RECORDS_SYNC_MS = '300'
  process.env.BORG_SERVICE_TTL = String(TTL)
  const first = await startNode(0, [])
  for (let i = 1; i < 4; i++) await startNode(i, [first.cells[0]!.endpoints.net])
  transport = new HttpsTransport({ signer: nodeSigner(await loadOrCreateNodeKey(dir)), log: silentLogger, timeoutMs: 10_000 })
}, 60_000)

afterAll(async () => {
  delete process.env.BORG_RECORDS_SYNC_MS
  delete process.env.BORG_SERVICE_TTL
  await transport?.close()
  await Promise.all(live().map((n) => n.stop().catch(() => undefined)))
  await rm(dir, { recursive: true, force: true, maxRetries: 5 })
})

describe('the service registry', () => {
  it('lists every node on every node, and drops a stopped node within its TTL and a sync', async () => {
    const everyone = live().map((n) => n.nodeId).sort()
    await waitUntil('every node to list every node', () => live().map(listed), (views) => views.every((v) => JSON.stringify(v) === JSON.stringify(everyone)), { timeoutMs: 20_000 })
    // Stopped without a leave (as a crash would): its record runs out.
    const gone = nodes[3]!
    const goneId = gone.nodeId
    await gone.stop()
    nodes[3] = undefined
    const stoppedAt = Date.now()
    await waitUntil('the stopped node to leave every list', () => live().map(listed), (views) => views.every((v) => !v.includes(goneId)), { timeoutMs: (TTL + 10) * 1000 })
    expect(Date.now() - stoppedAt).toBeLessThan((TTL + 3) * 1000)
  }, 60_000)

  it('drops a node that leaves at once, and a restarted node comes back with a higher sequence', async () => {
    const leaving = nodes[2]!
    const id = leaving.nodeId
    const seqBefore = liveServices(nodes[0]!.records!.collection(SERVICES)!, now()).find((s) => s.node === id)!.seq
    await leaving.leave()
    nodes[2] = undefined
    const leftAt = Date.now()
    await waitUntil('the leaving node to leave every list', () => live().map(listed), (views) => views.every((v) => !v.includes(id)), { timeoutMs: 10_000 })
    expect(Date.now() - leftAt).toBeLessThan(TTL * 1000) // before its TTL could have run out
    const back = await startNode(2, [nodes[0]!.cells[0]!.endpoints.net])
    const first = await waitUntil('the restarted node to be listed again', () => liveServices(nodes[0]!.records!.collection(SERVICES)!, now()).find((s) => s.node === back.nodeId)?.seq, (seq) => seq !== undefined, { timeoutMs: 15_000 })
    expect(first.value).toBeGreaterThan(seqBefore)
  }, 60_000)

  it('refuses forged, foreign and expired service records pushed at a node, and stores nothing', async () => {
    const target = nodes[0]!
    const peer = { endpoint: target.cells[0]!.endpoints.net }
    const stranger = testSigner('ed25519')
    const t = now()
    const content = (node: string) => utf8.encode(JSON.stringify({ node, seq: 1, ttl: TTL, version: 'x', cells: [], services: [] }))
    const claimingAnother = signRecord({ kind: 'record', collection: SERVICES, author: stranger.keyId, created: t, expires: t + TTL, contentType: 'json', content: content(target.nodeId) }, stranger)
    const expired = signRecord({ kind: 'record', collection: SERVICES, author: stranger.keyId, created: t - 100, expires: t - 100 + TTL, contentType: 'json', content: content(bytesToHex(stranger.keyId)) }, stranger)
    const forged = Uint8Array.from(signRecord({ kind: 'record', collection: SERVICES, author: stranger.keyId, created: t, expires: t + TTL, contentType: 'json', content: content(bytesToHex(stranger.keyId)) }, stranger).bytes)
    forged[forged.length - 1]! ^= 1
    const reply = RECORDS_CODECS.pushReply.decode(await request(transport, peer, RECORDS_CODECS.push.encode({ collection: SERVICES, records: [claimingAnother.bytes, expired.bytes, forged].map(bytesToHex) }), 10_000))
    expect(reply.results.map((r) => r.code)).toEqual(['refused', 'expired', 'bad-signature'])
    // None of them is held (the set's size moves meanwhile: the nodes refresh their own records every TTL/3).
    for (const r of [claimingAnother, expired]) expect(target.records!.collection(SERVICES)!.set.has(bytesToHex(r.id))).toBe(false)
    expect(target.records!.collection(SERVICES)!.set.list({ author: bytesToHex(stranger.keyId), deletions: true })).toEqual([])
  }, 30_000)

  it('lets a client find a live cell of a type from the local registry (its usual one gone, or none on its node)', async () => {
    const home = homes[0]!
    const found = await withLocalNode(home, (node) => findLiveCell(node, 'crono'))
    const others = live().filter((n) => n !== nodes[0]).map((n) => n.cells[0]!.endpoints.recp)
    expect(others).toContain(found!.endpoint)
    expect(await withLocalNode(home, (node) => findLiveCell(node, 'ledger'))).toBeUndefined()
    const listed = await withLocalNode(home, (node) => services(node, { cell: 'crono' }))
    expect(listed.length).toBe(live().length)
    expect(listed.every((s) => s.services.some((x) => x.name === 'crono') && s.cells[0]!.reach !== undefined)).toBe(true)
  }, 30_000)
})
