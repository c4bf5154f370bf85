/**
 * Links (docs/protocol.md §4.5) on 127.0.0.1: the real client and server, and
 * a hand-made client (test/helpers/raw-link.ts) for what the real one never
 * sends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BorgError } from '../../src/core/errors.js'
import { utf8 } from '../../src/core/bytes.js'
import { deliver, request } from '../../src/core/messaging/requests.js'
import { sealToBytes } from '../../src/core/envelope/seal.js'
import { cryptoRandom } from '../../src/core/crypto/random.js'
import { ACK_KIND, ERROR_KIND, LINK_ACCEPT_KIND, LINK_MAX_BODY_BYTES, LINK_MAX_IN_PROGRESS } from '../../src/core/net/http-mapping.js'
import { linkSigner } from '../../src/core/net/link-keys.js'
import type { Responder } from '../../src/core/wire/transport.js'
import { binaryMessage, jsonMessage, readJson } from '../helpers/json-messages.js'
import { rawLink } from '../helpers/raw-link.js'
import { testSigner } from '../helpers/keys.js'
import { startClient, startNode } from '../helpers/wire.js'

const errorOf = (body: Uint8Array) => JSON.parse(utf8.decode(body)) as { code: string; message: string }
/** The node answers the link's next message with a wire.error of `code`, then closes the link. */
async function refusedAndClosed(link: Awaited<ReturnType<typeof rawLink>>, code: string): Promise<void> {
  const answer = await link.next()
  expect(answer.header.kind).toBe(ERROR_KIND)
  expect(errorOf(answer.body).code).toBe(code)
  await link.closed
}
const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as BorgError)

describe('links between a client and a node', () => {
  let node: Awaited<ReturnType<typeof startNode>>
  const held: Responder[] = []
  const oneWays: string[] = []

  beforeAll(async () => {
    node = await startNode()
    node.transport.onMessage((m, r) => {
      if (m.kind === 't.hold') return void held.push(r!)
      if (!r) return void oneWays.push(m.kind)
      r.reply(jsonMessage('t.pong', { size: m.body.length, linkMac: false }))
    })
  })
  afterAll(async () => node.transport.close())

  const server = () => (node.transport as unknown as { server: { links: { size: number }; stats: { requests: number } } }).server

  it('small messages share one link, answered in any order; one-way ones are acknowledged', async () => {
    const client = startClient()
    try {
      const peer = { endpoint: node.endpoint, id: node.id }
      const before = server().links.size
      const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => request(client.transport, peer, binaryMessage('t.ping', new Uint8Array(i)))))
      expect(replies.map((r) => readJson<{ size: number }>(r).size)).toEqual(Array.from({ length: 50 }, (_, i) => i))
      expect(replies.every((r) => r.fromHex === node.id)).toBe(true)
      await deliver(client.transport, peer, jsonMessage('t.note', {}))
      expect(oneWays).toContain('t.note')
      expect(client.transport.client.links!.size).toBe(1)
      expect(server().links.size).toBe(before + 1)
    } finally {
      await client.transport.close()
    }
  })

  it('a body over the link limit goes as an HTTP request of its own, and still arrives', async () => {
    const client = startClient()
    try {
      const peer = { endpoint: node.endpoint, id: node.id }
      await request(client.transport, peer, jsonMessage('t.ping', {})) // opens the link
      const requestsBefore = server().stats.requests
      const reply = await request(client.transport, peer, binaryMessage('t.ping', new Uint8Array(LINK_MAX_BODY_BYTES + 1)))
      expect(readJson<{ size: number }>(reply).size).toBe(LINK_MAX_BODY_BYTES + 1)
      expect(server().stats.requests).toBe(requestsBefore + 1)
      expect(client.transport.client.links!.size).toBe(1)
    } finally {
      await client.transport.close()
    }
  })

  it('the handshake derives the same keys on both ends: a link-authenticated request is answered link-authenticated', async () => {
    const signer = testSigner()
    const link = await rawLink(node.endpoint, node.id, signer)
    try {
      expect(link.acceptance.header.kind).toBe(LINK_ACCEPT_KIND)
      expect(link.acceptance.header.linkMac).toBeUndefined() // the acceptance is signed
      link.send(jsonMessage('t.ping', {}))
      const answer = await link.next()
      expect(answer.header.kind).toBe('t.pong')
      expect(answer.header.linkMac).toBe(true)
      // The acceptor's MAC under the acceptor's key checks out; under the opener's it would not.
      const { linkMac } = await import('../../src/core/net/link-keys.js')
      const signedPart = answer.bytes.subarray(0, answer.bytes.length - answer.body.length - 64)
      expect(Buffer.from(linkMac(link.keys.acceptor, signedPart)).equals(Buffer.from(answer.header.signature))).toBe(true)
      expect(Buffer.from(linkMac(link.keys.opener, signedPart)).equals(Buffer.from(answer.header.signature))).toBe(false)
      // A one-way message gets wire.ack.
      link.send(jsonMessage('t.note2', {}), { expectsReply: false })
      expect((await link.next()).header.kind).toBe(ACK_KIND)
    } finally {
      link.close()
    }
  })

  it('a link-authenticated envelope proves nothing off its link: sent as an HTTP request it is refused bad-signature', async () => {
    const signer = testSigner()
    const link = await rawLink(node.endpoint, node.id, signer)
    link.close()
    const bytes = sealToBytes(linkSigner(signer.keyId, link.keys.opener), jsonMessage('t.ping', {}), { expectsReply: true, timestamp: Date.now(), random: cryptoRandom })
    const { Agent, request: raw } = await import('../../src/core/net/undici.js')
    const agent = new Agent({ connect: { rejectUnauthorized: false } })
    try {
      const response = await raw(`https://${node.endpoint}/borg/v1/msg`, { method: 'POST', body: Buffer.from(bytes), dispatcher: agent })
      expect(response.statusCode).toBe(401)
      const reply = new Uint8Array(await response.body.arrayBuffer())
      expect(Buffer.from(reply).toString('latin1')).toContain('valid only on its link')
    } finally {
      await agent.close()
    }
  })

  it('a MAC under the wrong key is refused and the link closed', async () => {
    const signer = testSigner()
    const link = await rawLink(node.endpoint, node.id, signer)
    link.send(jsonMessage('t.ping', {}), { signer: linkSigner(signer.keyId, new Uint8Array(64).fill(7)) })
    await refusedAndClosed(link, 'bad-signature')
  })

  it('the acceptor MAC cannot be reflected: a message MACed with the acceptor key is refused', async () => {
    const signer = testSigner()
    const link = await rawLink(node.endpoint, node.id, signer)
    link.send(jsonMessage('t.ping', {}), { signer: linkSigner(signer.keyId, link.keys.acceptor) })
    await refusedAndClosed(link, 'bad-signature')
  })

  it('a message from another key than the opener is refused, even properly signed, and the link closed', async () => {
    const link = await rawLink(node.endpoint, node.id, testSigner())
    link.send(jsonMessage('t.ping', {}), { signer: testSigner() })
    await refusedAndClosed(link, 'refused')
  })

  it('a replayed message is refused as a replay; the link stays', async () => {
    const link = await rawLink(node.endpoint, node.id, testSigner())
    try {
      const bytes = link.send(jsonMessage('t.ping', {}))
      expect((await link.next()).header.kind).toBe('t.pong')
      link.sendBytes(bytes)
      expect(errorOf((await link.next()).body).code).toBe('replay')
      link.send(jsonMessage('t.ping', {}))
      expect((await link.next()).header.kind).toBe('t.pong')
    } finally {
      link.close()
    }
  })

  it('a link must start with a signed wire.link.open', async () => {
    const signer = testSigner()
    const first = sealToBytes(signer, jsonMessage('t.ping', {}, { type: 'node', id: Buffer.from(node.id, 'hex') }), { expectsReply: true, timestamp: Date.now(), random: cryptoRandom })
    const link = await rawLink(node.endpoint, node.id, signer, first)
    await refusedAndClosed(link, 'malformed')
  })

  it('an opening that is too old is refused expired, with the node\'s time', async () => {
    const signer = testSigner()
    const { LinkEphemeral } = await import('../../src/core/net/link-keys.js')
    const to = { type: 'node' as const, id: Buffer.from(node.id, 'hex') }
    const first = sealToBytes(signer, binaryMessage('wire.link.open', new LinkEphemeral().publicKey, to), { expectsReply: true, timestamp: Date.now() - 120_000, random: cryptoRandom })
    const link = await rawLink(node.endpoint, node.id, signer, first)
    const body = JSON.parse(utf8.decode((await link.next()).body)) as { code: string; now?: number }
    expect(body.code).toBe('expired')
    expect(typeof body.now).toBe('number')
    await link.closed
  })

  it('a body over the link limit is refused too-large before it is read, and the link closed', async () => {
    const link = await rawLink(node.endpoint, node.id, testSigner())
    link.send(binaryMessage('t.ping', new Uint8Array(LINK_MAX_BODY_BYTES + 1)))
    await refusedAndClosed(link, 'too-large')
  })

  it(`at most ${LINK_MAX_IN_PROGRESS} messages in progress per link: the next is answered busy, the link stays`, async () => {
    const link = await rawLink(node.endpoint, node.id, testSigner())
    try {
      held.length = 0
      for (let i = 0; i < LINK_MAX_IN_PROGRESS; i++) link.send(jsonMessage('t.hold', {}))
      link.send(jsonMessage('t.ping', {}))
      const answer = await link.next()
      expect(errorOf(answer.body).code).toBe('busy')
      expect(held.length).toBe(LINK_MAX_IN_PROGRESS)
      held.splice(0).forEach((r) => r.reply(jsonMessage('t.done', {})))
      for (let i = 0; i < LINK_MAX_IN_PROGRESS; i++) expect((await link.next()).header.kind).toBe('t.done')
      link.send(jsonMessage('t.ping', {}))
      expect((await link.next()).header.kind).toBe('t.pong')
    } finally {
      link.close()
    }
  })
})

describe('a node that takes no links', () => {
  it('answers the upgrade 503, and the client sends its messages as plain requests', async () => {
    const node = await startNode({ maxLinks: 0 })
    node.transport.onMessage((_, r) => r?.reply(jsonMessage('t.pong', {})))
    const client = startClient()
    try {
      const peer = { endpoint: node.endpoint, id: node.id }
      for (let i = 0; i < 3; i++) expect((await request(client.transport, peer, jsonMessage('t.ping', {}))).kind).toBe('t.pong')
      expect(client.transport.client.links!.size).toBe(0)
      expect(node.transport.serverStats!.requests).toBe(3)
    } finally {
      await client.transport.close()
      await node.transport.close()
    }
  })
})

describe('a link that breaks', () => {
  it('fails what is in flight as unavailable, and the next message opens a new link', async () => {
    const node = await startNode()
    const held: Responder[] = []
    node.transport.onMessage((m, r) => (m.kind === 't.hold' ? held.push(r!) : r?.reply(jsonMessage('t.pong', {}))))
    const client = startClient()
    try {
      const peer = { endpoint: node.endpoint, id: node.id }
      await request(client.transport, peer, jsonMessage('t.ping', {}))
      const pending = failure(request(client.transport, peer, jsonMessage('t.hold', {})))
      while (held.length === 0) await new Promise((r) => setTimeout(r, 5))
      ;(node.transport as unknown as { server: { links: { close(): void } } }).server.links.close()
      const error = await pending
      expect(error).toBeInstanceOf(BorgError)
      expect(error!.code).toBe('unavailable')
      const reply = await request(client.transport, peer, jsonMessage('t.ping', {}))
      expect(reply.kind).toBe('t.pong')
    } finally {
      await client.transport.close()
      await node.transport.close()
    }
  })

  it('times out a request whose answer does not come, and drops the late answer', async () => {
    const node = await startNode()
    const held: Responder[] = []
    node.transport.onMessage((m, r) => (m.kind === 't.hold' ? held.push(r!) : r?.reply(jsonMessage('t.pong', {}))))
    const client = startClient()
    try {
      const peer = { endpoint: node.endpoint, id: node.id }
      const error = await failure(request(client.transport, peer, jsonMessage('t.hold', {}), 300))
      expect(error!.code).toBe('timeout')
      held[0]!.reply(jsonMessage('t.late', {}))
      const reply = await request(client.transport, peer, jsonMessage('t.ping', {}))
      expect(reply.kind).toBe('t.pong')
    } finally {
      await client.transport.close()
      await node.transport.close()
    }
  })
})
