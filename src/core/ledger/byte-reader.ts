/**
 * Reading the ledger's fixed binary layouts (blocks, certificates, the
 * genesis): bounded takes, big-endian integers, key ids by their algorithm
 * byte. Every shortfall is a `malformed` error named by `what` it reads.
 */
import { BorgError } from '../errors.js'
import { keyIdLength } from '../crypto/key-id.js'

export class ByteReader {
  at = 0
  /** `prefix` names the document in errors ("ledger block", "certificate", "genesis"). */
  constructor(
    readonly bytes: Uint8Array,
    private readonly prefix: string,
  ) {}

  fail(message: string): BorgError {
    return new BorgError('malformed', `${this.prefix}: ${message}`)
  }

  take(n: number, what: string): Uint8Array {
    if (this.at + n > this.bytes.length) throw this.fail(`truncated at ${what}`)
    const out = this.bytes.slice(this.at, this.at + n)
    this.at += n
    return out
  }

  u8(what: string): number {
    return this.take(1, what)[0]!
  }

  u16(what: string): number {
    const b = this.take(2, what)
    return (b[0]! << 8) | b[1]!
  }

  u32(what: string): number {
    const b = this.take(4, what)
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0)
  }

  u64(what: string): bigint {
    const b = this.take(8, what)
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0)
  }

  keyId(what: string): Uint8Array {
    const algorithm = this.bytes[this.at]
    const length = algorithm === undefined ? undefined : keyIdLength(algorithm)
    if (length === undefined) throw this.fail(`${what} uses an unknown key algorithm`)
    return this.take(length, what)
  }

  /** Nothing may follow. */
  end(what: string): void {
    if (this.at !== this.bytes.length) throw this.fail(`${this.bytes.length - this.at} trailing bytes after ${what}`)
  }
}
