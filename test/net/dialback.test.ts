/**
 * Reachability by dial-back (src/core/node/dialback.ts, docs/protocol.md §7.1)
 * between real HTTPS transports on 127.0.0.1: the peer dials the address it saw
 * the request come from, checks the key there, hands the nonce over; only the
 * nonce's arrival counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/core/log.js'
import { MessageRouter } from '../../src/core/messaging/router.js'
import { deliver, request } from '../../src/core/messaging/requests.js'
import { HttpsTransport } from '../../src/core/net/https-transport.js'
import { cryptoRandom } from '../../src/core/crypto/random.js'
import { SystemClock } from '../../src/core/time/system-clock.js'
import { DialbackChecker, registerDialback, type DialOnce } from '../../src/core/node/dialback.js'
import { NODE_CODECS } from '../../src/core/node/messages.js'
import { startNode } from '../helpers/wire.js'
import { testSigner } from '../helpers/keys.js'
import { refusingPort } from '../helpers/refusing-port.js'

const clock = new SystemClock()
/** What a node does: a fresh client signing with its own node key. */
const dialAs =
  (signer: ReturnType<typeof testSigner>): DialOnce =>
  async (peer, message, timeoutMs) => {
    const client = new HttpsTransport({ signer, log: silentLogger, links: false, timeoutMs })
    try {
      await deliver(client, peer, message, timeoutMs)
    } finally {
      await client.close()
    }
  }

describe('dial-back', () => {
  let asker: Awaited<ReturnType<typeof startNode>>
  let peer: Awaited<ReturnType<typeof startNode>>
  let other: Awaited<ReturnType<typeof startNode>>
  let checker: DialbackChecker
  const dials: string[] = []

  beforeAll(async () => {
    asker = await startNode()
    peer = await startNode()
    other = await startNode()
    const askerRouter = new MessageRouter()
    checker = new DialbackChecker({ transport: asker.transport, clock, random: cryptoRandom })
    checker.registerNonces(askerRouter)
    asker.transport.onMessage(askerRouter.handle)
    const peerRouter = new MessageRouter()
    const dial = dialAs(peer.signer)
    registerDialback(peerRouter, { clock, log: silentLogger, dial: (p, m, t) => (dials.push(p.endpoint), dial(p, m, t)) })
    peer.transport.onMessage(peerRouter.handle)
    other.transport.onMessage(new MessageRouter().handle)
  })
  afterAll(async () => Promise.all([asker, peer, other].map((n) => n.transport.close())))

  const port = (endpoint: string) => Number(endpoint.split(':').pop())
  const peerOf = (n: typeof peer) => ({ endpoint: n.endpoint, id: n.id })

  it('a reachable port: the peer dials the address it saw the request come from, and the nonce arrives', async () => {
    const verdict = await checker.check([peerOf(peer)], port(asker.endpoint))
    expect(verdict.reachable).toBe(true)
    expect(verdict.outcomes).toEqual([{ peer: peer.id, reached: true, tried: true, seenAs: '127.0.0.1' }])
    expect(dials.at(-1)).toBe(`127.0.0.1:${port(asker.endpoint)}`)
  })

  it('a port where nothing listens is not reached', async () => {
    const verdict = await checker.check([peerOf(peer)], await refusingPort())
    expect(verdict.reachable).toBe(false)
    expect(verdict.outcomes[0]).toMatchObject({ reached: false, tried: true, error: 'unavailable' })
  })

  it('a port where another node listens is not reached: the peer checks the key there before handing anything over', async () => {
    const verdict = await checker.check([peerOf(peer)], port(other.endpoint))
    expect(verdict.outcomes[0]).toMatchObject({ reached: false, error: 'identity-mismatch' })
  })

  it('a peer that claims success without dialing does not count: only the nonce does', async () => {
    const liar = await startNode()
    const router = new MessageRouter()
    router.on(NODE_CODECS.dialback.kind, { name: 'anyone', refuse: () => undefined }, (_m, r) => r?.reply(NODE_CODECS.dialbackReply.encode({ reached: true, address: '127.0.0.1' })))
    liar.transport.onMessage(router.handle)
    try {
      const started = Date.now()
      const verdict = await checker.check([peerOf(liar)], port(asker.endpoint))
      expect(verdict.reachable).toBe(false)
      expect(Date.now() - started).toBeGreaterThan(5_000) // it waited for a nonce that never came
    } finally {
      await liar.transport.close()
    }
  }, 20_000)

  it('a majority of the peers that tried decides; a peer that could not try is no evidence', async () => {
    // Two peers that try and fail (their dial always fails), one that knows no dial-back (unknown-kind).
    const failing = await Promise.all([startNode(), startNode()])
    for (const n of failing) {
      const router = new MessageRouter()
      registerDialback(router, { clock, log: silentLogger, dial: async () => Promise.reject(Object.assign(new Error('no route'), { code: 'unavailable' })) })
      n.transport.onMessage(router.handle)
    }
    const silent = await startNode()
    silent.transport.onMessage(new MessageRouter().handle)
    try {
      const three = await checker.check([peerOf(peer), ...failing.map(peerOf)], port(asker.endpoint))
      expect(three.outcomes.map((o) => [o.reached, o.tried])).toEqual([[true, true], [false, true], [false, true]])
      expect(three.reachable).toBe(false)
      const withSilent = await checker.check([peerOf(peer), peerOf(silent)], port(asker.endpoint))
      expect(withSilent.outcomes.map((o) => [o.reached, o.tried])).toEqual([[true, true], [false, false]])
      expect(withSilent.reachable).toBe(true)
      const nobody = await checker.check([peerOf(silent)], port(asker.endpoint))
      expect(nobody.reachable).toBeUndefined()
    } finally {
      await Promise.all([...failing, silent].map((n) => n.transport.close()))
    }
  })

  it('a nonce handed back by anyone but the peer asked is refused', async () => {
    const stranger = new HttpsTransport({ signer: testSigner(), log: silentLogger, links: false })
    try {
      const error = await deliver(stranger, { endpoint: asker.endpoint, id: asker.id }, NODE_CODECS.dialbackNonce.encode({ nonce: '00'.repeat(16) })).catch((e) => e)
      expect(error.code).toBe('not-found')
    } finally {
      await stranger.close()
    }
  })

  it('the request names only a port: a host field is not part of it, and one dial-back per asker at a time', async () => {
    const client = new HttpsTransport({ signer: testSigner(), log: silentLogger })
    try {
      const body = { port: port(other.endpoint), nonce: 'ab'.repeat(16) }
      const [first, second] = await Promise.allSettled([
        request(client, peerOf(peer), NODE_CODECS.dialback.encode(body)),
        request(client, peerOf(peer), NODE_CODECS.dialback.encode({ ...body, nonce: 'cd'.repeat(16) })),
      ])
      expect(first.status).toBe('fulfilled')
      expect(second.status === 'rejected' && (second.reason as { code: string }).code).toBe('busy')
    } finally {
      await client.close()
    }
  })
})
