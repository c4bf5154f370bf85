/**
 * Healing, in-process: five organism nodes over real HTTPS on 127.0.0.1
 * (audits, scrubs and watches run only when a test calls them).
 *
 * - `shard.chunk.fetch` pulls only from shard members the node knows, at the
 *   endpoints it knows them by, and tells the asker nothing about what went
 *   wrong (no probing of other addresses through it).
 * - A reader that gets bad bytes reports them; the holder hashes its copy
 *   again and drops it only if it is bad, within a budget; the read's audit
 *   makes the copy up.
 * - The shard tree's root and a holder stop: a new client reads on its first try.
 *
 * The pieces on an injected clock are in heal-units.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:net'
import { createHash, randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { HttpsTransport } from '../../src/core/net/https-transport.js'
import { silentLogger } from '../../src/core/log.js'
import { jsonMessage, readObject } from '../helpers/json-messages.js'
import { request } from '../../src/core/messaging/requests.js'
import type { BorgError } from '../../src/core/errors.js'
import { rankHolders } from '../../src/core/storage/placement.js'
import type { OrganismNode } from '../../src/core/node/organism-node.js'
import { testSigner } from '../helpers/keys.js'
import { clientAt, organismNodes, storageOf } from '../helpers/organism-nodes.js'

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
const CHUNK = 64 * 1024

const organism = organismNodes('borg-heal-')
const { nodes, start } = organism
const owner = testSigner('secp256k1')
const ownerTransport = new HttpsTransport({ log: silentLogger, signer: owner })
// Someone with no standing in the network: any signed sender may ask a shard cell things.
const stranger = new HttpsTransport({ log: silentLogger, signer: testSigner() })
let listener: Server
let listenerPort = 0
let connections = 0
const shardNet = (n: OrganismNode) => ({ endpoint: n.cells.find((c) => c.name === 'shard')!.endpoints.net, id: n.nodeId })

async function* once(bytes: Uint8Array) {
  yield bytes
}

async function getAll(entry: OrganismNode, id: string): Promise<Buffer> {
  const parts: Uint8Array[] = []
  await clientAt(entry, ownerTransport).get(id, (b) => void parts.push(Uint8Array.from(b)))
  return Buffer.concat(parts)
}

beforeAll(async () => {
  // Audits, scrubs and watches only when a test says so.
  process.env.BORG_FILES_AUDIT_MS = '3600000'
  process.env.BORG_SHARD_ROUND_MS = '3600000'
  process.env.BORG_FILES_WATCH_MS = '3600000'
  // Anything that connects here is a node calling an address it was handed.
  listener = createServer((socket) => {
    connections++
    socket.destroy()
  })
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r))
  listenerPort = (listener.address() as { port: number }).port
  // Clear of the other in-process tests (10000+, 14000+, 15000+, 17500+; heal-departures 12300+).
  const first = await start([])
  for (let i = 1; i < 5; i++) await start([first.cells[0]!.endpoints.net])
  const deadline = Date.now() + 20_000
  const formed = () => nodes.every((n) => n.cells.every((c) => c.tree.status().treeSize === 5))
  while (Date.now() < deadline && !formed()) await new Promise((r) => setTimeout(r, 100))
  expect(formed()).toBe(true)
}, 40_000)

afterAll(async () => {
  listener?.close()
  await Promise.all([ownerTransport.close(), stranger.close()])
  await organism.stopAll()
})

describe('shard.chunk.fetch', () => {
  it('never connects to an endpoint it is handed, and answers a stranger nothing about what went wrong', async () => {
    const hash = sha(randomBytes(100))
    const askFetch = (from: { id: string; endpoint: string }[]) =>
      request(stranger, shardNet(nodes[1]!), jsonMessage('shard.chunk.fetch', { chunks: [{ hash, length: 100, from }] }), 20_000).then(readObject)
    const unknownId = 'ed' + randomBytes(32).toString('hex')
    const reply = await askFetch([{ id: unknownId, endpoint: `127.0.0.1:${listenerPort}` }])
    expect(reply.stored).toEqual([])
    expect(reply.failed).toEqual([{ hash, error: 'not fetched' }])
    // A member's id with another address: the member is asked where this node knows it, not there.
    const member = await askFetch([{ id: nodes[2]!.nodeId, endpoint: `127.0.0.1:${listenerPort}` }])
    expect(member.failed).toEqual([{ hash, error: 'not fetched' }])
    await new Promise((r) => setTimeout(r, 200))
    expect(connections).toBe(0)
  }, 30_000)

  it('pulls from a member at the endpoint it knows it by, whatever endpoint the asker gave', async () => {
    const bytes = randomBytes(3 * CHUNK)
    const put = await clientAt(nodes[0]!, ownerTransport).put(once(bytes), { owner, chunkSize: CHUNK, replicas: 1 })
    const hash = put.manifest.chunks[0]!
    const holder = nodes.find((n) => rankHolders(hash, nodes.map((x) => x.nodeId))[0] === n.nodeId)!
    const puller = nodes.find((n) => n !== holder)!
    const reply = readObject(
      await request(stranger, shardNet(puller), jsonMessage('shard.chunk.fetch', { chunks: [{ hash, length: CHUNK, from: [{ id: holder.nodeId, endpoint: `127.0.0.1:${listenerPort}` }] }] }), 20_000),
    )
    expect(reply.stored).toEqual([hash])
    expect(await storageOf(puller).chunks.has(hash)).toBe(true)
    expect(connections).toBe(0)
  }, 30_000)
})

describe('a reader that gets bad bytes', () => {
  it('reports them: the holder drops its bad copy and the read\u2019s audit puts a good one back', async () => {
    const bytes = randomBytes(4 * CHUNK)
    const put = await clientAt(nodes[0]!, ownerTransport).put(once(bytes), { owner, chunkSize: CHUNK })
    const hash = put.manifest.chunks[2]!
    // The first-ranked holder is asked first; it stored the chunk a moment ago, so it serves it without hashing it again.
    const holder = nodes.find((n) => rankHolders(hash, nodes.map((x) => x.nodeId))[0] === n.nodeId)!
    const path = join(storageOf(holder).chunks.dir, 'chunks', hash.slice(0, 2), hash)
    const good = await readFile(path)
    const bad = Buffer.from(good)
    bad[1000]! ^= 0xff
    await writeFile(path, bad)
    expect((await getAll(nodes.find((n) => n !== holder)!, put.manifest.id)).equals(bytes)).toBe(true)
    const deadline = Date.now() + 15_000
    let now = await readFile(path).catch(() => undefined)
    while (Date.now() < deadline && !now?.equals(good)) {
      await new Promise((r) => setTimeout(r, 100))
      now = await readFile(path).catch(() => undefined)
    }
    expect(now?.equals(good)).toBe(true)
    expect(storageOf(holder).status()).toMatchObject({ corruptDropped: 1 })
  }, 30_000)

  it('cannot make a holder drop a good copy, nor hash without end', async () => {
    const bytes = randomBytes(CHUNK)
    // Every node holds it; the one asked has had no report yet, so its budget (16 per 10 s) is whole.
    const put = await clientAt(nodes[0]!, ownerTransport).put(once(bytes), { owner, chunkSize: CHUNK, replicas: 5 })
    const hash = put.manifest.chunks[0]!
    const holder = nodes.find((n) => (storageOf(n).status() as { corruptReports: number }).corruptReports === 0)!
    const report = (h: string) => request(stranger, shardNet(holder), jsonMessage('shard.chunk.corrupt', { hash: h }), 10_000)
    expect(readObject(await report(hash))).toEqual({ hash, held: true, dropped: false })
    expect(await storageOf(holder).chunks.has(hash)).toBe(true)
    // Reports of 20 more chunks at once: 15 are checked, then the holder says busy.
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => report(sha(randomBytes(8)))))
    const busy = outcomes.filter((o) => o.status === 'rejected' && (o.reason as BorgError).code === 'busy').length
    expect(busy).toBe(5)
    await expect(report('not-a-hash')).rejects.toMatchObject({ code: 'invalid-input' })
  }, 30_000)
})

describe('a dead shard root', () => {
  it('does not stop a new client reading on its first try', async () => {
    // 20 chunks: the root ranks among a chunk's 3 holders with p = 3/5 each, so one of them is
    // shared with the root but for 0.4^20 (with 7 chunks, 0.4^7 = 0.16 %: it failed once that way).
    const bytes = randomBytes(19 * CHUNK + 7)
    const isRoot = (n: OrganismNode) => n.cells.find((c) => c.name === 'shard')!.tree.state === 'root'
    const entry = nodes.find((n) => !isRoot(n) && n.cells.every((c) => c.tree.state !== 'root'))!
    const put = await clientAt(entry, ownerTransport).put(once(bytes), { owner, chunkSize: CHUNK })
    const root = nodes.find(isRoot)!
    const ids = nodes.map((n) => n.nodeId)
    // Another holder of a chunk the root holds: that chunk is left with one copy.
    const shared = put.manifest.chunks.find((h) => rankHolders(h, ids).slice(0, 3).includes(root.nodeId))!
    const other = nodes.find((n) => n !== root && n !== entry && rankHolders(shared, ids).slice(0, 3).includes(n.nodeId))!
    await Promise.all([root.stop(), other.stop()])
    expect((await getAll(entry, put.manifest.id)).equals(bytes)).toBe(true)
  }, 30_000)
})
