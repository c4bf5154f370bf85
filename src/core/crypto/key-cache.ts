/**
 * A bounded memo keyed by public key bytes. Peers sign many messages with the
 * same key, so parsed keys are kept; the oldest entry goes when the bound is hit.
 */
import { bytesToHex } from '../bytes.js'

export class KeyCache<V> {
  private readonly entries = new Map<string, V>()

  constructor(
    private readonly limit: number,
    private readonly compute: (key: Uint8Array) => V,
  ) {}

  get(key: Uint8Array): V {
    const id = bytesToHex(key)
    if (this.entries.has(id)) return this.entries.get(id)!
    const value = this.compute(key)
    if (this.entries.size >= this.limit) this.entries.delete(this.entries.keys().next().value!)
    this.entries.set(id, value)
    return value
  }
}
