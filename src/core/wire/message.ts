/**
 * What protocol code sends and receives. Signing, encoding and verification
 * happen at the edge (the transport), so cores only ever see verified messages.
 * The byte layout these map onto is in docs/protocol.md and src/core/envelope/.
 */

/** Body encodings; the value is the wire byte. */
export const BodyType = { binary: 0, json: 1, parts: 2 } as const
export type BodyType = (typeof BodyType)[keyof typeof BodyType]

/** Who a message is addressed to; signed, so it cannot be redirected. */
export type Target =
  | { type: 'none' }
  | { type: 'node'; id: Uint8Array } // key id of the recipient (src/core/crypto/key-id.ts)
  | { type: 'tree'; id: Uint8Array } // 32-byte tree (or group) id

export const NO_TARGET: Target = { type: 'none' }

/** A message a core wants sent. */
export interface Outgoing {
  kind: string
  to?: Target
  body?: Uint8Array
  bodyType?: BodyType
  /**
   * SHA-256 of `body` when the caller already has it (content-addressed data:
   * a chunk's name is its hash), so bulk bodies are not hashed twice. The
   * receiver verifies it like any body hash; a wrong one only gets the message
   * refused.
   */
  bodyHash?: Uint8Array
  /**
   * Body type `parts` only: the parts' bytes, sent after `body` (which is then
   * the index, src/core/envelope/parts.ts) without being copied into it.
   */
  parts?: readonly Uint8Array[]
}

/** A part of a `parts` body, checked against its hash in the signed index. */
export interface Part {
  hash: Uint8Array
  bytes: Uint8Array
}

/** A verified message a core receives. */
export interface Incoming {
  kind: string
  /** Sender's key id: algorithm byte + public key. */
  from: Uint8Array
  /** Hex of `from`, handy as a map key. */
  fromHex: string
  to: Target
  /** 16-byte message id. */
  id: Uint8Array
  /** Id of the request this replies to, or undefined. */
  ref?: Uint8Array
  /** Sender's network time, ms since the epoch. */
  timestamp: number
  body: Uint8Array
  bodyType: BodyType
  /** Whether the sender waits for a reply. */
  expectsReply: boolean
  /**
   * SHA-256 of `body`, as signed and verified at the edge. Content-addressed
   * data (a chunk is named by its hash) needs no second hashing pass.
   */
  bodyHash?: Uint8Array
  /**
   * The receiver's network time when the message arrived, before it was read
   * and verified, where the transport knows it (HTTPS does). Time exchanges
   * use it so that verification and queueing delays do not count as transit.
   */
  receivedAt?: number
  /** Body type `parts`: the head and the parts, views into `body`, each part checked against its signed entry. */
  split?: { head: Uint8Array; parts: Part[] }
  /**
   * Where the message's connection came from, as this node sees it (HTTPS and links; the simulator
   * leaves it out). An observation only: NAT rewrites it, and it proves nothing about the sender.
   */
  remote?: { address: string; port: number }
}
