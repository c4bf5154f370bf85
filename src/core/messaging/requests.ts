/** Promise wrappers over Transport.send, for code outside the sans-I/O cores (organs, clients, the CLI, tests). */
import type { Incoming, Outgoing } from '../wire/message.js'
import type { Peer, Transport } from '../wire/transport.js'

/** Promise wrapper for code outside the cores (CLI, tests, benchmarks). */
export function request(transport: Transport, peer: Peer, message: Outgoing, timeoutMs?: number): Promise<Incoming> {
  return new Promise((resolve, reject) => {
    transport.send(peer, message, {
      expectReply: true,
      timeoutMs,
      onResult: (error, reply) => (error ? reject(error) : resolve(reply!)),
    })
  })
}

/** Promise wrapper for one-way sends: resolves when the peer acknowledged receipt. */
export function deliver(transport: Transport, peer: Peer, message: Outgoing, timeoutMs?: number): Promise<void> {
  return new Promise((resolve, reject) => {
    transport.send(peer, message, { timeoutMs, onResult: (error) => (error ? reject(error) : resolve()) })
  })
}
