/**
 * The streaming cell on three in-process nodes over real HTTPS: a stored file
 * played from a node's `/files/ID` route (whole, ranges, HEAD, 416, bad and
 * unknown ids, encrypted files), then capacity: a full cell redirects a new
 * client to another node's streaming cell, and when every cell is full the
 * client is told to retry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHash, randomBytes } from 'node:crypto'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { request } from 'node:https'
import type { OrganismNode } from '../../src/core/node/organism-node.js'
import { shardCell } from '../../src/cells/shard/index.js'
import { filesCell } from '../../src/cells/files/index.js'
import { fstreamCell, type MediaOrgan } from '../../src/cells/fstream/index.js'
import { fileKeysFromIdentity } from '../../src/core/storage/file-crypto.js'
import { HttpsTransport } from '../../src/core/net/https-transport.js'
import { silentLogger } from '../../src/core/log.js'
import { testSigner } from '../helpers/keys.js'
import { clientAt, organismNodes } from '../helpers/organism-nodes.js'
import { waitUntil } from '../helpers/wait-until.js'

const organism = organismNodes('borg-fstream-', [shardCell, filesCell, fstreamCell])
const { nodes } = organism
const owner = testSigner('secp256k1')
const transport = new HttpsTransport({ log: silentLogger, signer: owner })
afterAll(async () => {
  await transport.close()
  await organism.stopAll()
})

const CHUNK = 256 * 1024
const small = randomBytes(3 * CHUNK + 12_345)
// Large enough that a client that stops reading holds its response open (socket buffers fill first).
const big = randomBytes(24 * 1024 * 1024)
let smallId = ''
let bigId = ''
let sealedId = ''

const fstreamOf = (node: OrganismNode) => node.cells.find((c) => c.name === 'fstream')!
const media = (node: OrganismNode) => fstreamOf(node).organs[0] as MediaOrgan
const urlOf = (node: OrganismNode) => `https://${fstreamOf(node).endpoints.recp}`

async function* once(bytes: Uint8Array) {
  yield bytes
}

/** A response's head, with the body left unread (the player that holds a response open). */
function open(url: string, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<IncomingMessage> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    // The raw path, so `..` reaches the node unresolved; players do not verify the self-signed certificate.
    const req = request({ hostname, port, path, method: options.method ?? 'GET', headers: options.headers, rejectUnauthorized: false, agent: false }, resolve)
    req.on('error', reject)
    req.end()
  })
}

async function fetchAll(url: string, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  const res = await open(url, path, options)
  const parts: Buffer[] = []
  for await (const part of res) parts.push(part as Buffer)
  return { status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }
}

const clientsAt = () => nodes.map((n) => media(n).status().clients)

beforeAll(async () => {
  for (let i = 0; i < 3; i++) await organism.start(i === 0 ? [] : [nodes[0]!.cells[0]!.endpoints.net])
  await organism.formed(3)
  const client = clientAt(nodes[1]!, transport)
  smallId = (await client.put(once(small), { owner, chunkSize: CHUNK, mime: 'video/mp4' })).manifest.id
  bigId = (await client.put(once(big), { owner, replicas: 1 })).manifest.id
  const secret = Buffer.from('not for the node to read. '.repeat(1000))
  const plaintextSha256 = new Uint8Array(createHash('sha256').update(secret).digest())
  sealedId = (await client.put(once(secret), { owner, chunkSize: CHUNK, encrypt: { keys: fileKeysFromIdentity(owner.secretKey), plaintextSha256 } })).manifest.id
}, 120_000)

describe('GET /files/ID on a streaming cell', () => {
  it('serves the whole file, a range across chunk edges, HEAD and 416', async () => {
    const a = urlOf(nodes[0]!)
    const whole = await fetchAll(a, `/files/${smallId}`)
    expect([whole.status, whole.headers['content-type'], whole.headers['accept-ranges']]).toEqual([200, 'video/mp4', 'bytes'])
    expect(whole.body.equals(small)).toBe(true)
    const from = CHUNK - 10
    const to = 2 * CHUNK + 5 // three chunks
    const part = await fetchAll(a, `/files/${smallId}`, { headers: { range: `bytes=${from}-${to}` } })
    expect([part.status, part.headers['content-range']]).toEqual([206, `bytes ${from}-${to}/${small.length}`])
    expect(part.body.equals(small.subarray(from, to + 1))).toBe(true)
    const head = await fetchAll(a, `/files/${smallId.toUpperCase()}`, { method: 'HEAD' })
    expect([head.status, head.headers['content-length'], head.body.length]).toEqual([200, String(small.length), 0])
    const past = await fetchAll(a, `/files/${smallId}`, { headers: { range: `bytes=${small.length}-` } })
    expect([past.status, past.headers['content-range']]).toEqual([416, `bytes */${small.length}`])
    // The receptor still serves its card beside the route.
    expect((await fetchAll(a, '/borg/v1/card')).status).toBe(200)
    expect(media(nodes[0]!).status()).toMatchObject({ clients: 0, served: 3 })
  }, 30_000)

  it('answers 400 for a path-like id, 404 for an unknown one and 403 for an encrypted file', async () => {
    const a = urlOf(nodes[0]!)
    const bad = await fetchAll(a, '/files/../../etc/passwd')
    expect(bad.status).toBe(400)
    expect(bad.body.toString()).toContain('not a file id')
    expect((await fetchAll(a, `/files/${'f'.repeat(64)}`)).status).toBe(404)
    const sealed = await fetchAll(a, `/files/${sealedId}`)
    expect(sealed.status).toBe(403)
    expect(sealed.body.toString()).toContain('encrypted')
  }, 30_000)
})

describe('a streaming cell at capacity', () => {
  const held: IncomingMessage[] = []
  const release = async () => {
    for (const res of held.splice(0)) res.destroy()
    await waitUntil('every held response to end', clientsAt, (clients) => clients.every((c) => c === 0))
  }
  afterAll(release)

  it('redirects a new client to a less busy node (307), whose answer is the same bytes', async () => {
    const [a, b, c] = nodes as [OrganismNode, OrganismNode, OrganismNode]
    media(a).capacity = 1
    const player = await open(urlOf(a), `/files/${bigId}`)
    held.push(player)
    expect(player.statusCode).toBe(200)
    await waitUntil('A to hold one client', clientsAt, (clients) => clients[0] === 1)
    const range = { range: `bytes=${CHUNK - 3}-${CHUNK + 3}` }
    const sent = await fetchAll(urlOf(a), `/files/${smallId}`, { headers: range })
    expect(sent.status).toBe(307)
    const location = new URL(sent.headers.location!)
    expect([urlOf(b), urlOf(c)]).toContain(location.origin)
    expect(`${location.pathname}${location.search}`).toBe(`/files/${smallId}?hop=1`)
    const there = await fetchAll(location.origin, `${location.pathname}${location.search}`, { headers: range })
    expect(there.status).toBe(206)
    expect(there.body.equals(small.subarray(CHUNK - 3, CHUNK + 4))).toBe(true)
    // A request already passed on three times is not passed on again.
    const looped = await fetchAll(urlOf(a), `/files/${smallId}?hop=3`)
    expect([looped.status, looped.headers['retry-after']]).toEqual([503, '1'])
    expect(media(a).status()).toMatchObject({ clients: 1, capacity: 1, redirected: 1, refusedBusy: 1 })
  }, 30_000)

  it('answers 503 with Retry-After when every streaming cell is full', async () => {
    for (const node of nodes.slice(1)) {
      media(node).capacity = 1
      const player = await open(urlOf(node), `/files/${bigId}`)
      held.push(player)
      expect(player.statusCode).toBe(200)
    }
    await waitUntil('every cell to hold one client', clientsAt, (clients) => clients.every((c) => c === 1))
    // A keeps its survey of the others' load for a second: until it asks again, it may still send a client on.
    const refused = await waitUntil('A to find every cell full', () => fetchAll(urlOf(nodes[0]!), `/files/${smallId}`), (r) => r.status !== 307, { stepMs: 250 })
    expect([refused.value.status, refused.value.headers['retry-after']]).toEqual([503, '1'])
    expect(refused.value.body.toString()).toContain('at capacity')
    await release()
    for (const node of nodes) media(node).capacity = 64
    expect((await fetchAll(urlOf(nodes[0]!), `/files/${smallId}`)).body.equals(small)).toBe(true)
  }, 30_000)
})
