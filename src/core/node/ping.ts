/**
 * `wire.ping` / `wire.pong`: the smallest signed request/reply, used by
 * `borg node ping`, the smoke test and the benchmark. The pong tells the caller
 * which key the node verified its request against, and the node's clock.
 */
import { BorgError } from '../errors.js'
import { ANYONE, type MessageRouter } from '../messaging/router.js'
import type { Clock } from '../wire/clock.js'
import { request } from '../messaging/requests.js'
import type { Peer, Transport } from '../wire/transport.js'
import { NODE_CODECS, PONG_KIND, type Pong } from './messages.js'

export { PING_KIND, PONG_KIND, type Pong } from './messages.js'

export function registerPing(router: MessageRouter, clock: Clock, version: string): void {
  // The ping's body is not read: any body is a ping.
  router.on(NODE_CODECS.ping.kind, ANYONE, (message, responder) => {
    if (!responder) return // a ping sent one-way needs no answer
    const seen = message.remote?.address
    responder.reply(NODE_CODECS.pong.encode({ from: message.fromHex, time: clock.now(), version, ...(seen ? { seen } : {}) }))
  })
}

export interface PingResult {
  seq: number
  rttMs: number
  peer: string
  pong: Pong
}

export async function ping(transport: Transport, peer: Peer, clock: Clock, seq: number, timeoutMs?: number): Promise<PingResult> {
  const started = clock.monotonic()
  const reply = await request(transport, peer, NODE_CODECS.ping.encode({ seq }), timeoutMs)
  const rttMs = clock.monotonic() - started
  if (reply.kind !== PONG_KIND) throw new BorgError('bad-reply', `expected ${PONG_KIND}, got ${reply.kind}`)
  const pong = NODE_CODECS.pong.decode(reply)
  if (pong.from !== transport.localId) {
    throw new BorgError('bad-reply', `the node verified our ping against key ${pong.from.slice(0, 16)}…, not ours`)
  }
  return { seq, rttMs, peer: reply.fromHex, pong }
}
