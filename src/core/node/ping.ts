/**
 * `wire.ping` / `wire.pong`: the smallest signed request/reply, used by
 * `borg node ping`, the smoke test and the benchmark. The pong tells the caller
 * which key the node verified its request against, and the node's clock.
 */
import { BorgError } from '../errors.js'
import { jsonMessage, readJson, type Incoming } from '../wire/message.js'
import { ANYONE, type MessageRouter } from '../wire/router.js'
import type { Clock } from '../wire/clock.js'
import { request, type Peer, type Transport } from '../wire/transport.js'

export const PING_KIND = 'wire.ping'
export const PONG_KIND = 'wire.pong'

export interface Pong {
  /** Public key (hex) the node verified the ping's signature with. */
  from: string
  /** The node's network time when it answered, ms since the epoch. */
  time: number
  version: string
}

export function registerPing(router: MessageRouter, clock: Clock, version: string): void {
  router.on(PING_KIND, ANYONE, (message, responder) => {
    if (!responder) return // a ping sent one-way needs no answer
    const pong: Pong = { from: message.fromHex, time: clock.now(), version }
    responder.reply(jsonMessage(PONG_KIND, pong))
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
  const reply: Incoming = await request(transport, peer, jsonMessage(PING_KIND, { seq }), timeoutMs)
  const rttMs = clock.monotonic() - started
  if (reply.kind !== PONG_KIND) throw new BorgError('bad-reply', `expected ${PONG_KIND}, got ${reply.kind}`)
  const pong = readJson<Pong>(reply)
  if (pong.from !== transport.localId) {
    throw new BorgError('bad-reply', `the node verified our ping against key ${String(pong.from).slice(0, 16)}…, not ours`)
  }
  return { seq, rttMs, peer: reply.fromHex, pong }
}
