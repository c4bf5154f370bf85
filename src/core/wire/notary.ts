/**
 * Signatures over documents that travel further than one hop: a broadcast's
 * or a routed message's origin, a new root's term certificate. The transport
 * authenticates only the neighbour that hands a message on; these let every
 * hop check who started it. Implementations: the node key
 * (src/core/envelope/notary.ts) and the simulator's (src/core/sim/sim-notary.ts).
 * Callers domain-separate what they sign (docs/protocol.md §6.5).
 */
export interface Notary {
  /** This node's signature over `bytes`. */
  sign(bytes: Uint8Array): Uint8Array
  /** Whether `signature` is the signature over `bytes` by the key whose id (hex) is `signer`. */
  verify(signer: string, bytes: Uint8Array, signature: Uint8Array): boolean
}
