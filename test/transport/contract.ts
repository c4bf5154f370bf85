/**
 * The Transport contract (src/core/wire/transport.ts), written once and run
 * against every implementation: the simulator (sim.test.ts) and HTTPS
 * (https.test.ts). Protocol cores are tested in the simulator; this is what
 * lets those results stand for the real network.
 */
import { describe, expect, it } from 'vitest'
import { BorgError } from '../../src/core/errors.js'
import { binaryMessage, jsonMessage, readJson } from '../helpers/json-messages.js'
import type { Incoming } from '../../src/core/wire/message.js'
import { deliver, request } from '../../src/core/messaging/requests.js'
import type { Peer, Transport } from '../../src/core/wire/transport.js'

export interface Endpoint {
  transport: Transport
  peer: Peer
}

export interface TransportLab {
  /** A listening endpoint (its handler installed by the test). */
  node(): Promise<Endpoint>
  /** An endpoint where nothing listens. */
  deadPeer(): Peer
  /** Lets the transport work until `pending` settles (the simulator runs its events; HTTPS just waits). */
  settle<T>(pending: Promise<T>): Promise<T>
  /** The largest body a node of this lab takes. */
  readonly maxBodyBytes: number
}

const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as BorgError)

export function transportContract(name: string, makeLab: () => TransportLab): void {
  describe(`the Transport contract: ${name}`, () => {
    it('request/reply: the reply names the request, comes from the peer, and the handler saw the sender', async () => {
      const lab = makeLab()
      const [a, b] = [await lab.node(), await lab.node()]
      const seen: Incoming[] = []
      b.transport.onMessage((m, r) => (seen.push(m), r!.reply(jsonMessage('t.pong', { echo: readJson(m) }))))
      const reply = await lab.settle(request(a.transport, b.peer, jsonMessage('t.ping', { n: 7 })))
      expect(readJson(reply)).toEqual({ echo: { n: 7 } })
      expect(reply.kind).toBe('t.pong')
      expect(reply.fromHex).toBe(b.transport.localId)
      expect(reply.ref).toEqual(seen[0]!.id)
      expect(seen.map((m) => [m.kind, m.fromHex])).toEqual([['t.ping', a.transport.localId]])
    })

    it('one-way: the handler gets no responder, the sender an acknowledgement with no reply', async () => {
      const lab = makeLab()
      const [a, b] = [await lab.node(), await lab.node()]
      const responders: unknown[] = []
      b.transport.onMessage((_m, r) => void responders.push(r))
      const results: [BorgError | null, Incoming | undefined][] = []
      const done = new Promise<void>((resolve) => a.transport.send(b.peer, jsonMessage('t.note', 1), { onResult: (e, reply) => (results.push([e, reply]), resolve()) }))
      await lab.settle(done)
      expect(responders).toEqual([undefined])
      expect(results).toEqual([[null, undefined]])
    })

    it('a handler failure reaches the sender as its code and message', async () => {
      const lab = makeLab()
      const [a, b] = [await lab.node(), await lab.node()]
      b.transport.onMessage((_m, r) => r!.fail('not-found', 'nothing here'))
      const error = await lab.settle(failure(request(a.transport, b.peer, jsonMessage('t.get', 0))))
      expect(error).toBeInstanceOf(BorgError)
      expect(error).toMatchObject({ code: 'not-found', message: expect.stringContaining('nothing here') })
    })

    it('a handler that never answers is a timeout, reported once, after about timeoutMs', async () => {
      const lab = makeLab()
      const [a, b] = [await lab.node(), await lab.node()]
      b.transport.onMessage(() => {})
      let calls = 0
      const error = await lab.settle(
        new Promise<BorgError>((resolve) =>
          a.transport.send(b.peer, jsonMessage('t.slow', 0), { expectReply: true, timeoutMs: 300, onResult: (e) => (calls++, resolve(e!)) }),
        ),
      )
      expect(error.code).toBe('timeout')
      await lab.settle(new Promise((r) => setTimeout(r, 50)))
      expect(calls).toBe(1)
    })

    it('an endpoint where nothing listens is unavailable (retryable), for requests and one-way sends', async () => {
      const lab = makeLab()
      const a = await lab.node()
      const dead = lab.deadPeer()
      expect(await lab.settle(failure(request(a.transport, dead, jsonMessage('t.ping', 0), 3_000)))).toMatchObject({ code: 'unavailable' })
      expect(await lab.settle(failure(deliver(a.transport, dead, jsonMessage('t.note', 0), 3_000)))).toMatchObject({ code: 'unavailable' })
    })

    it('a peer that is not the node expected is refused identity-mismatch', async () => {
      const lab = makeLab()
      const [a, b, c] = [await lab.node(), await lab.node(), await lab.node()]
      b.transport.onMessage((_m, r) => r?.reply(jsonMessage('t.pong', 0)))
      const error = await lab.settle(failure(request(a.transport, { endpoint: b.peer.endpoint, id: c.transport.localId }, jsonMessage('t.ping', 0))))
      expect(error).toMatchObject({ code: 'identity-mismatch' })
    })

    it('every message reaches the handler exactly once, and every reply matches its own request whatever the order', async () => {
      const lab = makeLab()
      const [a, b] = [await lab.node(), await lab.node()]
      const arrivals = new Map<number, number>()
      b.transport.onMessage((m, r) => {
        const n = readJson<number>(m)
        arrivals.set(n, (arrivals.get(n) ?? 0) + 1)
        r?.reply(jsonMessage('t.echo', n))
      })
      const replies = await lab.settle(Promise.all(Array.from({ length: 40 }, (_, n) => request(a.transport, b.peer, jsonMessage('t.echo-q', n)).then(readJson<number>))))
      expect(replies).toEqual(Array.from({ length: 40 }, (_, n) => n))
      expect([...arrivals.values()].every((count) => count === 1)).toBe(true)
      expect(arrivals.size).toBe(40)
    })

    it('carries a binary body byte for byte, and refuses one over the size limit with too-large', async () => {
      const lab = makeLab()
      const [a, b] = [await lab.node(), await lab.node()]
      const got: Uint8Array[] = []
      b.transport.onMessage((m, r) => (got.push(m.body), r?.reply(jsonMessage('t.ok', m.body.length))))
      const body = new Uint8Array(lab.maxBodyBytes).map((_, i) => (i * 7) & 0xff)
      expect(readJson(await lab.settle(request(a.transport, b.peer, binaryMessage('t.blob', body))))).toBe(body.length)
      expect(Buffer.compare(got[0]!, body)).toBe(0)
      const tooBig = new Uint8Array(lab.maxBodyBytes + 1)
      expect(await lab.settle(failure(request(a.transport, b.peer, binaryMessage('t.blob', tooBig))))).toMatchObject({ code: 'too-large' })
      expect(got).toHaveLength(1)
    })

    it('a kind the wire cannot carry is refused invalid-input, and nothing is sent', async () => {
      const lab = makeLab()
      const [a, b] = [await lab.node(), await lab.node()]
      const got: Incoming[] = []
      b.transport.onMessage((m) => void got.push(m))
      for (const kind of ['t.echo?', 'Upper.case', '', 'x'.repeat(300)]) {
        expect(await lab.settle(failure(deliver(a.transport, b.peer, jsonMessage(kind, 0)))), kind).toMatchObject({ code: 'invalid-input' })
      }
      await lab.settle(deliver(a.transport, b.peer, jsonMessage('t.valid', 0)))
      expect(got.map((m) => m.kind)).toEqual(['t.valid'])
    })

    it('onMessage replaces the handler', async () => {
      const lab = makeLab()
      const [a, b] = [await lab.node(), await lab.node()]
      b.transport.onMessage((_m, r) => r?.reply(jsonMessage('t.first', 0)))
      b.transport.onMessage((_m, r) => r?.reply(jsonMessage('t.second', 0)))
      expect((await lab.settle(request(a.transport, b.peer, jsonMessage('t.which', 0)))).kind).toBe('t.second')
    })
  })
}
