/**
 * The one interface protocol logic uses to talk to other nodes. Two
 * implementations exist: HTTPS with pinned certificates (src/core/net/) and the
 * deterministic simulator (src/core/sim/). Everything is callback-based rather
 * than promise-based so the simulator can run millions of events without
 * yielding to the microtask queue, and so runs are replayable from a seed.
 */
import type { BorgError, ErrorCode } from '../errors.js'
import type { Incoming, Outgoing } from './message.js'

/** Where a peer can be reached, and (when known) who it must be. */
export interface Peer {
  /** "host:port" for HTTPS; the node's name in the simulator. */
  endpoint: string
  /** Expected node id (hex key id). When set, a different responder is refused. */
  id?: string
}

export interface SendOptions {
  /** The peer must answer with a reply; it arrives in `onResult`. */
  expectReply?: boolean
  /** Give up after this long (default: transport's own, 10 s for HTTPS). */
  timeoutMs?: number
  /**
   * Called exactly once: with the reply (requests), with no reply once the peer
   * acknowledged receipt (one-way), or with an error (`timeout`, `unavailable`,
   * a rejection code sent back by the peer, ...).
   */
  onResult?: (error: BorgError | null, reply?: Incoming) => void
  /**
   * Called with the sender's network time when the signed message is handed
   * to the connection (HTTPS: after signing, before the HTTP client queues it),
   * where the transport knows it. With Incoming.receivedAt it lets a time
   * exchange measure transit alone.
   */
  onDispatch?: (networkTime: number) => void
}

/** Given to a handler when the sender waits for a reply; call exactly one method once. */
export interface Responder {
  reply(message: Outgoing): void
  fail(code: ErrorCode, message: string): void
}

export type MessageHandler = (message: Incoming, responder: Responder | undefined) => void

export interface Transport {
  /** Hex of this node's key id (algorithm byte + public key). */
  readonly localId: string
  send(peer: Peer, message: Outgoing, options?: SendOptions): void
  /** Install the handler for verified inbound messages (replaces any previous one). */
  onMessage(handler: MessageHandler): void
  /**
   * A hint that messages to this peer are coming (a new tree neighbour): the
   * transport may learn its certificate pin and open a connection ahead of
   * time, so the first real message does not pay for the handshakes.
   */
  prepare?(peer: Peer): void
}
