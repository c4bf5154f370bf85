/**
 * Relays (docs/protocol.md §4.6) on 127.0.0.1: a node keeps tunnels to relays
 * and others reach it through them, with the real client, relay and tunnel.
 * The relayed node listens too (every test node does), but nothing here sends
 * to its own endpoint: every message names it by `via:` endpoints.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BorgError } from '../../src/core/errors.js'
import { utf8 } from '../../src/core/bytes.js'
import { deliver, request } from '../../src/core/messaging/requests.js'
import { parseHeader } from '../../src/core/envelope/codec.js'
import { seal } from '../../src/core/envelope/seal.js'
import { cryptoRandom } from '../../src/core/crypto/random.js'
import { wireChunks } from '../../src/core/net/http-mapping.js'
import { formatRelayed, parseRelayed } from '../../src/core/net/relayed-endpoint.js'
import type { RelayLimits } from '../../src/core/net/relay-server.js'
import type { RelayTunnel } from '../../src/core/net/relay-tunnel.js'
import type { Incoming, Outgoing } from '../../src/core/wire/message.js'
import type { Responder } from '../../src/core/wire/transport.js'
import { binaryMessage, jsonMessage, readJson } from '../helpers/json-messages.js'
import { startClient, startNode } from '../helpers/wire.js'
import { waitUntil } from '../helpers/wait-until.js'

type TestNode = Awaited<ReturnType<typeof startNode>>
const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as BorgError)

/** A node that answers t.echo with what it got and records one-way t.note messages. */
async function relayedNode() {
  const node = await startNode()
  const notes: Incoming[] = []
  node.transport.onMessage((m: Incoming, r: Responder | undefined) => {
    if (m.kind === 't.note') return void notes.push(m)
    if (m.kind === 't.refuse') throw Object.assign(new Error('no'), { code: 'refused' })
    if (!r) return
    r.reply(binaryMessage('t.echo.reply', m.body))
  })
  return { ...node, notes }
}

async function relay(limits: Partial<RelayLimits> = {}, declines?: () => string | undefined): Promise<TestNode> {
  return startNode({ relay: { limits, declines } })
}

function tunnel(node: TestNode, relayNode: TestNode, closed?: (reason: BorgError) => void): Promise<RelayTunnel> {
  return node.transport.openRelayTunnel(relayNode.endpoint, (_t, reason) => closed?.(reason))
}

describe('relays', () => {
  let r1: TestNode
  let r2: TestNode
  let p: Awaited<ReturnType<typeof relayedNode>>
  const client = startClient()

  beforeAll(async () => {
    ;[r1, r2, p] = await Promise.all([relay(), relay(), relayedNode()])
    await Promise.all([tunnel(p, r1), tunnel(p, r2)])
  })
  afterAll(async () => {
    await Promise.all([client.transport.close(), p.transport.close(), r1.transport.close(), r2.transport.close()])
  })

  it('requests, answers, one-way messages and refusals travel end to end, signed by the relayed node', async () => {
    const peer = { endpoint: formatRelayed([r1.endpoint, r2.endpoint]), id: p.id }
    const reply = await request(client.transport, peer, binaryMessage('t.echo', utf8.encode('hello')))
    expect(reply.fromHex).toBe(p.id)
    expect(utf8.decode(reply.body)).toBe('hello')
    await deliver(client.transport, peer, jsonMessage('t.note', { n: 1 }))
    expect(p.notes.at(-1)?.fromHex).toBe(client.id)
    const refused = await failure(request(client.transport, peer, jsonMessage('t.refuse', {})))
    expect(refused?.code).toBe('internal') // a plain Error in the handler: the node's own answer, not the relay's
    expect(refused?.message).toContain(p.id.slice(0, 16))
    expect(r1.transport.relayService!.stats.relayed).toBeGreaterThanOrEqual(3)
  })

  it('a bulk body (4 MiB) crosses the relay bit for bit', async () => {
    const peer = { endpoint: formatRelayed([r1.endpoint]), id: p.id }
    const body = new Uint8Array(4 * 1024 * 1024).map((_, i) => (i * 7 + 3) & 0xff)
    const reply = await request(client.transport, peer, binaryMessage('t.echo', body), 30_000)
    expect(Buffer.compare(Buffer.from(reply.body), Buffer.from(body))).toBe(0)
  })

  it('a relay without a reservation for the node says so, and the sender moves to the next relay', async () => {
    const empty = await relay()
    try {
      const peer = { endpoint: formatRelayed([empty.endpoint, r2.endpoint]), id: p.id }
      const reply = await request(client.transport, peer, binaryMessage('t.echo', utf8.encode('x')))
      expect(reply.fromHex).toBe(p.id)
      const only = await failure(request(client.transport, { endpoint: formatRelayed([empty.endpoint]), id: p.id }, binaryMessage('t.echo', utf8.encode('x'))))
      expect(only?.code).toBe('not-found')
      expect(only?.message).toMatch(/could not be reached through its relays.*no reservation/)
    } finally {
      await empty.transport.close()
    }
  })

  it('when a relay dies, messages go through the other one, and the node hears that its tunnel is gone', async () => {
    const dying = await relay()
    const q = await relayedNode()
    let lost: BorgError | undefined
    try {
      await tunnel(q, dying, (reason) => (lost = reason))
      await tunnel(q, r2)
      const peer = { endpoint: formatRelayed([dying.endpoint, r2.endpoint]), id: q.id }
      expect((await request(client.transport, peer, binaryMessage('t.echo', utf8.encode('a')))).fromHex).toBe(q.id)
      await dying.transport.close()
      const reply = await request(client.transport, peer, binaryMessage('t.echo', utf8.encode('b')))
      expect(utf8.decode(reply.body)).toBe('b')
      await waitUntil('the node hears its tunnel is gone', () => lost, (reason) => reason !== undefined)
      expect(lost!.code).toBe('unavailable')
    } finally {
      await q.transport.close()
    }
  })

  it('a relay cannot alter a relayed message: the node refuses the altered bytes and the sender hears why', async () => {
    const evil = await relay()
    const q = await relayedNode()
    try {
      await tunnel(q, evil)
      // The relay flips one byte of every body it writes down the tunnel.
      tamperTunnelWrites(evil, (bytes) => {
        const copy = Buffer.from(bytes)
        copy[copy.length - 1] ^= 0x01
        return copy
      })
      const outcome = await failure(request(client.transport, { endpoint: formatRelayed([evil.endpoint]), id: q.id }, binaryMessage('t.echo', utf8.encode('pay 1 to alice'))))
      expect(outcome?.code).toBe('body-hash-mismatch')
      expect(q.notes).toHaveLength(0)
    } finally {
      await Promise.all([evil.transport.close(), q.transport.close()])
    }
  })

  it('a relay cannot forge the node’s answer: an answer it signed itself, or altered, is refused by the sender', async () => {
    const evil = await relay()
    const q = await relayedNode()
    try {
      await tunnel(q, evil)
      // The relay answers every relayed request itself, signed with its own key, as if it were the reply.
      forgeAnswers(evil, () => binaryMessage('t.echo.reply', utf8.encode('forged')))
      const forged = await failure(request(client.transport, { endpoint: formatRelayed([evil.endpoint]), id: q.id }, binaryMessage('t.echo', utf8.encode('x'))))
      expect(forged?.code).toBe('bad-reply')
      expect(forged?.message).toMatch(/forged answer/)
    } finally {
      await Promise.all([evil.transport.close(), q.transport.close()])
    }
  })

  it('an answer altered on its way back is refused by the sender', async () => {
    const evil = await relay()
    const q = await relayedNode()
    try {
      await tunnel(q, evil)
      alterAnswers(evil)
      const altered = await failure(request(client.transport, { endpoint: formatRelayed([evil.endpoint]), id: q.id }, binaryMessage('t.echo', utf8.encode('balance: 10'))))
      expect(altered?.code).toBe('bad-reply')
      expect(altered?.message).toMatch(/body-hash-mismatch|bad-signature/)
    } finally {
      await Promise.all([evil.transport.close(), q.transport.close()])
    }
  })

  it('budgets: bytes per day, rate, message size and reservations per relay are refused with a clear error', async () => {
    const small = await relay({ bytesPerDay: 300_000, bytesPerSecond: 1_000_000, burstBytes: 1_000_000, maxMessageBytes: 200_000, maxReservations: 1 })
    const q = await relayedNode()
    const other = await relayedNode()
    try {
      await tunnel(q, small)
      const peer = { endpoint: formatRelayed([small.endpoint]), id: q.id }
      const big = await failure(request(client.transport, peer, binaryMessage('t.echo', new Uint8Array(250_000))))
      expect(big?.code).toBe('too-large')
      await request(client.transport, peer, binaryMessage('t.echo', new Uint8Array(100_000))) // 2 × ~100 KB counted
      const spent = await failure(request(client.transport, peer, binaryMessage('t.echo', new Uint8Array(150_000))))
      expect(spent?.code).toBe('refused')
      expect(spent?.message).toMatch(/relay budget of node .* spent/)
      const full = await failure(tunnel(other, small))
      expect(full?.code).toBe('busy')
      expect(full?.message).toMatch(/holds 1 reservations/)
    } finally {
      await Promise.all([small.transport.close(), q.transport.close(), other.transport.close()])
    }
    const slow = await relay({ bytesPerSecond: 10_000, burstBytes: 10_000, maxShapingWaitMs: 500 })
    const s = await relayedNode()
    try {
      await tunnel(s, slow)
      const fast = await failure(request(client.transport, { endpoint: formatRelayed([slow.endpoint]), id: s.id }, binaryMessage('t.echo', new Uint8Array(50_000))))
      expect(fast?.code).toBe('busy')
      expect(fast?.message).toMatch(/relay rate .* 10000 bytes\/s/)
    } finally {
      await Promise.all([slow.transport.close(), s.transport.close()])
    }
  })

  it('a relay that declines (not reachable itself) refuses reservations, saying why', async () => {
    const shy = await relay({}, () => 'it is not reachable from outside')
    const q = await relayedNode()
    try {
      const refused = await failure(tunnel(q, shy))
      expect(refused?.code).toBe('refused')
      expect(refused?.message).toMatch(/not reachable from outside/)
    } finally {
      await Promise.all([shy.transport.close(), q.transport.close()])
    }
  })

  it('a node that does not relay answers the tunnel upgrade and relayed posts with a refusal', async () => {
    const plain = await startNode()
    const q = await relayedNode()
    try {
      expect((await failure(tunnel(q, plain)))?.message).toMatch(/does not relay|HTTP 400/)
      const refused = await failure(request(client.transport, { endpoint: formatRelayed([plain.endpoint]), id: q.id }, binaryMessage('t.echo', new Uint8Array(1))))
      expect(refused?.code).toBe('not-found')
    } finally {
      await Promise.all([plain.transport.close(), q.transport.close()])
    }
  })

  it('relayed endpoints parse strictly', () => {
    expect(parseRelayed('via:127.0.0.1:1,[::1]:2')).toEqual(['127.0.0.1:1', '[::1]:2'])
    expect(() => parseRelayed('via:')).toThrow(/invalid endpoint/)
    expect(() => parseRelayed('via:a:1,b:2,c:3,d:4,e:5')).toThrow(/1 to 4 relays/)
    expect(() => parseRelayed('127.0.0.1:1')).toThrow(/not a relayed endpoint/)
  })
})

// ---------------------------------------------------------------- a relay gone bad

interface TunnelInternals {
  socket: { write(bytes: Uint8Array): boolean }
  waiting: Map<string, { res: { writeHead(s: number, h: object): void; end(b: Uint8Array): void }; header: { id: Uint8Array; sender: Uint8Array } }>
  frame(bytes: Uint8Array): void
}
const tunnelsOf = (relayNode: TestNode) => [...(relayNode.transport.relayService as unknown as { tunnels: Map<string, TunnelInternals> }).tunnels.values()]

/** Rewrite every relayed envelope the relay writes down its tunnels. */
function tamperTunnelWrites(relayNode: TestNode, rewrite: (bytes: Uint8Array) => Uint8Array): void {
  for (const t of tunnelsOf(relayNode)) {
    const write = t.socket.write.bind(t.socket)
    t.socket.write = (bytes: Uint8Array) => write(parseHeader(bytes).status === 'ok' && !isRenewal(bytes) ? rewrite(bytes) : bytes)
  }
}
const isRenewal = (bytes: Uint8Array) => {
  const parsed = parseHeader(bytes)
  return parsed.status === 'ok' && parsed.header.kind.startsWith('relay.')
}

/** Answer each relayed request with `message` signed by the relay itself, before the node can. */
function forgeAnswers(relayNode: TestNode, message: () => Outgoing): void {
  for (const t of tunnelsOf(relayNode)) {
    const write = t.socket.write.bind(t.socket)
    t.socket.write = (bytes: Uint8Array) => {
      const parsed = parseHeader(bytes)
      if (parsed.status !== 'ok' || isRenewal(bytes)) return write(bytes)
      const key = Buffer.from(parsed.header.id).toString('hex')
      const waiting = t.waiting.get(key)!
      t.waiting.delete(key)
      const bytesOut = Buffer.concat(
        wireChunks(seal(relayNode.signer, { ...message(), to: { type: 'node', id: parsed.header.sender } }, { timestamp: Date.now(), random: cryptoRandom, ref: parsed.header.id })),
      )
      waiting.res.writeHead(200, { 'content-type': 'application/vnd.borg.envelope', 'content-length': bytesOut.length })
      waiting.res.end(bytesOut)
      return true
    }
  }
}

/** Flip a byte in the body of every answer the node sends back up its tunnel. */
function alterAnswers(relayNode: TestNode): void {
  for (const t of tunnelsOf(relayNode)) {
    const frame = t.frame.bind(t)
    t.frame = (bytes: Uint8Array) => {
      if (isRenewal(bytes)) return frame(bytes)
      const copy = Buffer.from(bytes)
      copy[copy.length - 1] ^= 0x01
      frame(copy)
    }
  }
}
