/**
 * What the review found, asked of real shard cells over HTTPS on 127.0.0.1
 * with nothing but `stream.offer` and `stream.status` (so the same file runs
 * against older code): a node must not connect where an offer says unless
 * that is a member of its shard tree, must not tell a remote caller how a
 * pull failed (refused, reset, not a borg node, another node), must hold a
 * stranger's offer instead of pulling it, and must refuse a 1 TiB claim
 * before creating any file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer as createTcpServer, type Server } from 'node:net'
import { createServer as createHttpsServer } from 'node:https'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { BorgError } from '../../src/core/errors.js'
import { loadOrCreateNodeKey } from '../../src/core/identity/node-key.js'
import { nodeSigner } from '../../src/core/identity/signer.js'
import { silentLogger } from '../../src/core/log.js'
import { generateTlsMaterial } from '../../src/core/net/cert.js'
import { HttpsTransport } from '../../src/core/net/https-transport.js'
import type { OrganismNode } from '../../src/core/node/organism-node.js'
import { shardCell } from '../../src/cells/shard/index.js'
import { jsonMessage, readJson } from '../helpers/json-messages.js'
import { request } from '../../src/core/messaging/requests.js'
import { organismNodes } from '../helpers/organism-nodes.js'
import { startClient } from '../helpers/wire.js'
import { testSigner } from '../helpers/keys.js'

const organism = organismNodes('borg-offer-wire-', [shardCell])
let a: OrganismNode
let b: OrganismNode
let ownerOfB: HttpsTransport
let keyOfA: HttpsTransport
const stranger = startClient()
const servers: Server[] = []

afterAll(async () => {
  for (const s of servers) s.close()
  await ownerOfB?.close()
  await keyOfA?.close()
  await stranger.transport.close()
  await organism.stopAll()
})

beforeAll(async () => {
  b = await organism.start([]) // the root: it outlives a
  a = await organism.start([b.cells[0]!.endpoints.net])
  await organism.formed(2)
  ownerOfB = new HttpsTransport({ signer: nodeSigner(await loadOrCreateNodeKey(organism.homes[0]!)), log: silentLogger })
  keyOfA = new HttpsTransport({ signer: nodeSigner(await loadOrCreateNodeKey(organism.homes[1]!)), log: silentLogger })
}, 30_000)

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const recp = (n: OrganismNode) => n.cells[0]!.endpoints.recp
const net = (n: OrganismNode) => n.cells[0]!.endpoints.net
const partialOf = (streamId: string) => join(organism.homes[0]!, 'node', 'cells', 'shard', 'streams', 'partial', `${streamId}.part`)

/** An offer of `size` bytes in chunks of `chunkSize` (names made up: nothing is meant to arrive). */
function offerOf(size: number, chunkSize: number, endpoint: string) {
  const chunks = Array.from({ length: Math.ceil(size / chunkSize) }, () => randomBytes(32).toString('hex'))
  return { streamId: randomBytes(32).toString('hex'), size, chunkSize, chunks, endpoint }
}

/** The reply, or the error, of an offer to b. */
function offer(from: HttpsTransport, body: ReturnType<typeof offerOf>): Promise<Record<string, unknown> | BorgError> {
  return request(from, { endpoint: recp(b) }, jsonMessage('stream.offer', body), 10_000).then(
    (r) => readJson<Record<string, unknown>>(r),
    (e: BorgError) => e,
  )
}

/** The error b's status reports once the pull gave up. */
async function failureOf(streamId: string): Promise<string> {
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    const status = readJson<{ error?: string }>(await request(keyOfA, { endpoint: recp(b) }, jsonMessage('stream.status', { streamId }), 10_000))
    if (status.error !== undefined) return status.error
    await sleep(100)
  }
  throw new Error(`stream ${streamId.slice(0, 12)} never failed`)
}

function listen(server: Server, port: number): Promise<void> {
  servers.push(server)
  return new Promise((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve()))
}

describe('stream offers, as the review tried them', () => {
  it('tells the caller the same thing however the source failed: refused by a member, connection refused, reset, not a borg node, another node', async () => {
    const errors: string[] = []
    const endpointOfA = net(a)
    const portOfA = Number(endpointOfA.split(':')[1])
    // Offers signed by a's key, naming a's endpoint, as a sending node makes them; b's owner takes a's offers.
    await request(ownerOfB, { endpoint: recp(b) }, jsonMessage('stream.allow', { key: a.nodeId })).catch(() => {})
    const attempt = async () => {
      const body = offerOf(3 * 4096, 4096, endpointOfA)
      const reply = await offer(keyOfA, body)
      expect(reply).not.toBeInstanceOf(BorgError)
      errors.push(await failureOf(body.streamId))
    }
    await attempt() // a is up, but offered b nothing
    await a.stop()
    await attempt() // nothing listens there now
    const reset = createTcpServer((socket) => socket.resetAndDestroy())
    await listen(reset, portOfA)
    await attempt()
    reset.close()
    const tls = await generateTlsMaterial('not borg')
    const plain = createHttpsServer({ key: tls.keyPem, cert: tls.certPem }, (_req, res) => res.end('hello'))
    await listen(plain as unknown as Server, portOfA)
    await attempt()
    plain.close()
    const impostor = new HttpsTransport({ signer: testSigner(), tls: await generateTlsMaterial('impostor'), log: silentLogger })
    await impostor.listen('127.0.0.1', portOfA)
    await attempt() // a borg node, but not the member listed there
    await impostor.close()
    expect(errors).toHaveLength(5)
    expect(new Set(errors).size).toBe(1)
    expect(errors[0]).not.toMatch(/ECONN|reset|hang up|socket|certificate|card|identity|expected|refused|not a borg|127\.0\.0\.1|ed[0-9a-f]{8}/i)
  }, 60_000)

  it('refuses an offer whose endpoint is not a member of its shard tree, and connects to nothing', async () => {
    let connections = 0
    const trap = createTcpServer((socket) => {
      connections++
      socket.destroy()
    })
    await listen(trap, 0)
    const port = (trap.address() as { port: number }).port
    const body = offerOf(3 * 4096, 4096, `127.0.0.1:${port}`)
    const outcome = await offer(ownerOfB, body) // even the node's own key
    expect(outcome).toBeInstanceOf(BorgError)
    expect((outcome as BorgError).code).toBe('refused')
    expect((outcome as BorgError).message).toMatch(/not a member/)
    await sleep(500)
    expect(connections).toBe(0)
    expect(existsSync(partialOf(body.streamId))).toBe(false)
  })

  it("holds a stranger's offer for the owner instead of pulling it; only the offerer and the owner learn of it", async () => {
    const body = offerOf(3 * 4096, 4096, net(b))
    const reply = await offer(stranger.transport, body)
    expect(reply).not.toBeInstanceOf(BorgError)
    expect(reply).toMatchObject({ status: 'pending', received: 0, done: false })
    expect((reply as { offerId: string }).offerId).toMatch(/^[0-9a-f]{16}$/)
    await sleep(300)
    expect(existsSync(partialOf(body.streamId))).toBe(false)
    const other = startClient().transport
    const asked = await request(other, { endpoint: recp(b) }, jsonMessage('stream.status', { streamId: body.streamId })).then(
      () => 'answered',
      (e: BorgError) => e.code,
    )
    await other.close()
    expect(asked).toBe('not-found')
  })

  it('refuses a claim of 2^40 bytes with the numbers, before any file is created', async () => {
    for (const from of [ownerOfB, stranger.transport]) {
      const body = offerOf(2 ** 40, 64 * 1024 * 1024, net(b))
      const outcome = await offer(from, body)
      expect(outcome).toBeInstanceOf(BorgError)
      expect((outcome as BorgError).code).toBe('refused')
      expect((outcome as BorgError).message).toMatch(/quota: the stream needs 1099511627776 bytes/)
      expect(existsSync(partialOf(body.streamId))).toBe(false)
    }
  })
})
