/**
 * Signatures in the simulator, without curve arithmetic: a node's signature is
 * a keyed SHA-256 of the bytes under a secret only that node's Notary holds
 * (derived from the network's seed and the node id). Verification looks the
 * claimed signer's secret up, as a real verifier derives it from the key id, so
 * a simulated adversary can sign as itself and nobody else.
 */
import { createHash } from 'node:crypto'
import type { Notary } from '../wire/notary.js'

const SIGNATURE_BYTES = 64

export class SimNotaries {
  constructor(private readonly networkKey: string) {}

  private secretOf(id: string): string {
    return `${this.networkKey}:${id}`
  }

  private signature(id: string, bytes: Uint8Array): Uint8Array {
    const h = createHash('sha512')
    h.update(this.secretOf(id))
    h.update(bytes)
    return new Uint8Array(h.digest()).subarray(0, SIGNATURE_BYTES)
  }

  /** The Notary of node `id`: it signs as `id` only. */
  notaryFor(id: string): Notary {
    return new SimNotary(this, id)
  }

  /** @internal the signature `id` makes (SimNotary's). */
  signAs(id: string, bytes: Uint8Array): Uint8Array {
    return this.signature(id, bytes)
  }

  verify(signer: string, bytes: Uint8Array, signature: Uint8Array): boolean {
    if (signature.length !== SIGNATURE_BYTES) return false
    const expected = this.signature(signer, bytes)
    for (let i = 0; i < SIGNATURE_BYTES; i++) if (expected[i] !== signature[i]) return false
    return true
  }
}

/** One node's Notary: an object of two fields (a simulated million nodes each hold one). */
class SimNotary implements Notary {
  constructor(
    private readonly notaries: SimNotaries,
    private readonly id: string,
  ) {}

  sign(bytes: Uint8Array): Uint8Array {
    return this.notaries.signAs(this.id, bytes)
  }

  verify(signer: string, bytes: Uint8Array, signature: Uint8Array): boolean {
    return this.notaries.verify(signer, bytes, signature)
  }
}
