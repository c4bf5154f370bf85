import { afterAll, describe, expect, it } from 'vitest'
import { BorgError } from '../../src/core/errors.js'
import { utf8 } from '../../src/core/bytes.js'
import { binaryMessage, jsonMessage, readJson } from '../helpers/json-messages.js'
import { deliver, request } from '../../src/core/messaging/requests.js'
import { startClient, startNode } from '../helpers/wire.js'

const closers: Array<() => Promise<void>> = []
afterAll(async () => {
  await Promise.all(closers.map((close) => close()))
})

async function pair() {
  const server = await startNode()
  const client = startClient()
  closers.push(() => server.transport.close(), () => client.transport.close())
  return { server, client, peer: { endpoint: server.endpoint } }
}

describe('HTTPS transport', () => {
  it('does a signed request/reply round trip and identifies both sides', async () => {
    const { server, client, peer } = await pair()
    const seen: string[] = []
    server.transport.onMessage((message, responder) => {
      seen.push(message.fromHex)
      responder!.reply(jsonMessage('test.pong', { echo: readJson(message) }))
    })
    const reply = await request(client.transport, peer, jsonMessage('test.ping', { n: 1 }))
    expect(reply.kind).toBe('test.pong')
    expect(reply.fromHex).toBe(server.id)
    expect(readJson(reply)).toEqual({ echo: { n: 1 } })
    expect(seen).toEqual([client.id])
    expect(reply.to).toEqual({ type: 'node', id: client.signer.keyId })
  })

  it('carries binary bodies as raw bytes and acknowledges one-way messages', async () => {
    const { server, client, peer } = await pair()
    const body = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 31) & 0xff)
    const got: Uint8Array[] = []
    server.transport.onMessage((message) => void got.push(message.body))
    await deliver(client.transport, peer, binaryMessage('test.blob', body))
    expect(got).toHaveLength(1)
    expect(Buffer.compare(got[0]!, body)).toBe(0)
  })

  it('returns handler failures as signed error codes', async () => {
    const { server, client, peer } = await pair()
    server.transport.onMessage((message, responder) => responder!.fail('not-found', `nothing called ${utf8.decode(message.body)}`))
    const error = await request(client.transport, peer, binaryMessage('test.get', utf8.encode('x'))).catch((e) => e)
    expect(error).toBeInstanceOf(BorgError)
    expect(error.code).toBe('not-found')
    expect(error.message).toContain('nothing called x')
  })

  it('reports unknown kinds when no handler is installed', async () => {
    const { client, peer } = await pair()
    const error = await request(client.transport, peer, jsonMessage('test.nobody', {})).catch((e) => e)
    expect(error.code).toBe('unknown-kind')
  })

  it('times out a request whose handler never replies, and maps a dead port to unavailable', async () => {
    const { server, client, peer } = await pair()
    server.transport.onMessage(() => {})
    const slow = await request(client.transport, peer, jsonMessage('test.slow', {}), 300).catch((e) => e)
    expect(slow.code).toBe('timeout')
    const dead = await request(client.transport, { endpoint: '127.0.0.1:1' }, jsonMessage('test.x', {}), 2000).catch((e) => e)
    expect(dead.code).toBe('unavailable')
    expect(dead.retryable).toBe(true)
  })

  it('refuses a peer that is not the expected node', async () => {
    const { client, peer } = await pair()
    const other = await startNode()
    closers.push(() => other.transport.close())
    const error = await request(client.transport, { ...peer, id: other.id }, jsonMessage('test.ping', {})).catch((e) => e)
    expect(error.code).toBe('identity-mismatch')
  })

  it('refuses oversized bodies before reading them', async () => {
    const server = await startNode({ verifier: { maxBodyBytes: 1024 } })
    const client = startClient()
    closers.push(() => server.transport.close(), () => client.transport.close())
    server.transport.onMessage((_, responder) => responder?.reply(jsonMessage('ok', {})))
    const error = await deliver(client.transport, { endpoint: server.endpoint }, binaryMessage('test.big', new Uint8Array(4096))).catch((e) => e)
    expect(error.code).toBe('too-large')
    expect(server.transport.verifier.rejected['too-large']).toBe(1)
  })

  it('survives garbage posted straight to the endpoint and counts it', async () => {
    const { server, client, peer } = await pair()
    server.transport.onMessage((_, responder) => responder!.reply(jsonMessage('test.pong', {})))
    const { request: raw, Agent } = await import('../../src/core/net/undici.js')
    const insecure = new Agent({ connect: { rejectUnauthorized: false } })
    for (const body of ['hello', 'BORG\u0001', '']) {
      const response = await raw(`https://${server.endpoint}/borg/v1/msg`, { method: 'POST', body, dispatcher: insecure })
      expect(response.statusCode).toBe(400)
      await response.body.arrayBuffer()
    }
    await insecure.close()
    expect(server.transport.verifier.rejected.malformed).toBe(3)
    // Still serving real traffic.
    expect((await request(client.transport, peer, jsonMessage('test.ping', {}))).kind).toBe('test.pong')
  })

  it('handles many concurrent requests over the keep-alive pool', async () => {
    const { server, client, peer } = await pair()
    server.transport.onMessage((message, responder) => responder!.reply(jsonMessage('test.pong', readJson(message))))
    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => request(client.transport, peer, jsonMessage('test.ping', { i }))))
    expect(replies.map((r) => (readJson(r) as { i: number }).i)).toEqual(Array.from({ length: 50 }, (_, i) => i))
  })
})

describe('first contact failures', () => {
  it('maps a refused connection during the card fetch to unavailable', async () => {
    const client = startClient()
    closers.push(() => client.transport.close())
    const error = await client.transport.client.resolvePin('127.0.0.1:1', undefined).catch((e) => e)
    expect(error).toBeInstanceOf(BorgError)
    expect(error.code).toBe('unavailable')
  })
})

describe('replies and the kind filter', () => {
  it('a transport that only accepts known kinds still reads replies of any kind', async () => {
    const server = await startNode()
    server.transport.onMessage((_, responder) => responder!.reply(jsonMessage('test.some-reply-kind', { ok: 1 })))
    const client = await startNode({ verifier: { acceptKind: (kind) => kind === 'only.this' } })
    closers.push(() => server.transport.close(), () => client.transport.close())
    const reply = await request(client.transport, { endpoint: server.endpoint }, jsonMessage('test.ask', {}))
    expect(reply.kind).toBe('test.some-reply-kind')
  })
})

describe('a node whose clock is far off', () => {
  it('is told so by the first refusal, adopts the peer\'s time once, sends that message again, and is understood from then on', async () => {
    const { SystemClock } = await import('../../src/core/time/system-clock.js')
    const server = await startNode()
    let handled = 0
    server.transport.onMessage((_, responder) => {
      handled++
      responder!.reply(jsonMessage('test.pong', {}))
    })
    const skewed = new SystemClock()
    skewed.setOffset(-5 * 60_000) // five minutes slow
    const client = startClient({ clock: skewed })
    closers.push(() => server.transport.close(), () => client.transport.close())
    const peer = { endpoint: server.endpoint }
    // Refused as expired before any handler ran, the adopted time learnt, the message sealed again: the caller sees the answer.
    expect((await request(client.transport, peer, jsonMessage('test.ping', {}))).kind).toBe('test.pong')
    expect(handled).toBe(1)
    expect(Math.abs(skewed.offset)).toBeLessThan(2_000) // adopted the peer's time (it was -300 000)
    expect((await request(client.transport, peer, jsonMessage('test.ping', {}))).kind).toBe('test.pong')
    expect(handled).toBe(2)

    // Once per process: a second peer whose network time is ten minutes ahead refuses it, and nothing is adopted or sent again.
    const ahead = new SystemClock()
    ahead.setOffset(10 * 60_000)
    const other = await startNode({ clock: ahead })
    let otherHandled = 0
    other.transport.onMessage((_, responder) => {
      otherHandled++
      responder!.reply(jsonMessage('test.pong', {}))
    })
    closers.push(() => other.transport.close())
    const adopted = skewed.offset
    const refused = await request(client.transport, { endpoint: other.endpoint }, jsonMessage('test.ping', {})).catch((e) => e)
    expect(refused).toBeInstanceOf(BorgError)
    expect(refused.code).toBe('expired')
    expect(otherHandled).toBe(0)
    expect(skewed.offset).toBe(adopted)
  })
})
