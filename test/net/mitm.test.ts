import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BorgError } from '../../src/core/errors.js'
import { jsonMessage } from '../helpers/json-messages.js'
import { request } from '../../src/core/messaging/requests.js'
import { parseCard } from '../../src/core/net/card.js'
import { startNode } from '../helpers/wire.js'
import { startMitmProxy } from '../helpers/mitm-proxy.js'

describe('a man-in-the-middle with its own self-signed certificate', () => {
  let nodeA: Awaited<ReturnType<typeof startNode>>
  let nodeB: Awaited<ReturnType<typeof startNode>>
  let mitm: Awaited<ReturnType<typeof startMitmProxy>>

  beforeAll(async () => {
    nodeA = await startNode({ freshTls: true })
    nodeB = await startNode({ freshTls: true })
    nodeB.transport.onMessage((_, responder) => responder?.reply(jsonMessage('test.pong', { secret: 'only for A' })))
    mitm = await startMitmProxy(nodeB.endpoint)
  })
  afterAll(async () => {
    await mitm.close()
    await nodeA.transport.close()
    await nodeB.transport.close()
  })

  it('really relays (sanity): an unpinned client gets B\'s genuine card through it', async () => {
    const { Agent, request: raw } = await import('../../src/core/net/undici.js')
    const trusting = new Agent({ connect: { rejectUnauthorized: false } })
    const response = await raw(`https://${mitm.endpoint}/borg/v1/card`, { dispatcher: trusting })
    const card = parseCard(new Uint8Array(await response.body.arrayBuffer()))
    await trusting.close()
    expect(card.nodeId).toBe(nodeB.id)
    const direct = await request(nodeA.transport, { endpoint: nodeB.endpoint }, jsonMessage('test.ping', {}))
    expect(direct.fromHex).toBe(nodeB.id)
  })

  it('is refused on first contact: the relayed card binds a different certificate', async () => {
    const before = mitm.relayed()
    const error = await request(nodeA.transport, { endpoint: mitm.endpoint, id: nodeB.id }, jsonMessage('test.ping', {})).catch((e) => e)
    expect(error).toBeInstanceOf(BorgError)
    expect(error.code).toBe('tls-pin')
    expect(error.message).toMatch(/man-in-the-middle/)
    expect(error.details).toMatchObject({ presented: mitm.certSha256, pinned: nodeB.tls.certSha256 })
    // Only the card was relayed: the message itself never left A.
    expect(mitm.relayed() - before).toBe(1)
  })

  it('is refused without knowing the expected identity in advance (pure first contact)', async () => {
    const error = await request(nodeA.transport, { endpoint: mitm.endpoint }, jsonMessage('test.ping', {})).catch((e) => e)
    expect(error.code).toBe('tls-pin')
  })

  it('is refused when it hijacks an endpoint whose pin A already knows', async () => {
    // A learned B's card (e.g. from gossip) for this endpoint; the traffic then lands on the proxy.
    const card = parseCard(nodeB.transport.card!)
    nodeA.transport.client.pins.set(mitm.endpoint, card)
    const error = await request(nodeA.transport, { endpoint: mitm.endpoint, id: nodeB.id }, jsonMessage('test.ping', {})).catch((e) => e)
    expect(error.code).toBe('tls-pin')
  })

  it('cannot pass off its own identity as the node A expects', async () => {
    const impostor = await startNode({ freshTls: true })
    try {
      const error = await request(nodeA.transport, { endpoint: impostor.endpoint, id: nodeB.id }, jsonMessage('test.ping', {})).catch((e) => e)
      expect(error.code).toBe('identity-mismatch')
    } finally {
      await impostor.transport.close()
    }
  })
})
