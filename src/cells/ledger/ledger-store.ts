/**
 * What a ledger node keeps on disk (docs/ledger.md "Storage"): one
 * crash-safe record log (src/core/ledger/record-log.ts) in the cell's
 * directory, `ledger-<network id prefix>.log`, holding in order
 *
 *   0x01 vote       · block                         a block this representative voted for
 *   0x02 certified  · block · certificate [· send · send certificate]
 *   0x03 fork       · block · block                 two owner-signed blocks at one height
 *   0x04 epoch      · epoch certificate              a committee this node took on
 *   0x05 epoch vote · epoch statement                the one committee this representative signed for an epoch
 *   0x06 offence    · certificate · certificate       two blocks certified at one height: who voted in both broke its promise
 *
 * each byte string prefixed by its length (u32). A vote is on disk before it
 * is sent, so a representative restarted after kill -9 never votes for a
 * second block at a height; a certified block is on disk before it is
 * acknowledged.
 */
import { join } from 'node:path'
import { mkdir } from 'node:fs/promises'
import { BorgError } from '../../core/errors.js'
import { bytesToHex, concatBytes } from '../../core/bytes.js'
import { RecordLog } from '../../core/ledger/record-log.js'

export type StoredRecord =
  | { type: 'vote'; block: Uint8Array }
  | { type: 'certified'; block: Uint8Array; certificate: Uint8Array; source?: { send: Uint8Array; certificate: Uint8Array } }
  | { type: 'fork'; blocks: [Uint8Array, Uint8Array] }
  | { type: 'epoch'; certificate: Uint8Array }
  | { type: 'epoch-vote'; statement: Uint8Array }
  | { type: 'offence'; certificates: [Uint8Array, Uint8Array] }

const TYPE = { vote: 1, certified: 2, fork: 3, epoch: 4, epochVote: 5, offence: 6 } as const

export function encodeRecord(record: StoredRecord): Uint8Array {
  switch (record.type) {
    case 'vote':
      return framed(TYPE.vote, [record.block])
    case 'certified':
      return framed(TYPE.certified, record.source ? [record.block, record.certificate, record.source.send, record.source.certificate] : [record.block, record.certificate])
    case 'fork':
      return framed(TYPE.fork, record.blocks)
    case 'epoch':
      return framed(TYPE.epoch, [record.certificate])
    case 'epoch-vote':
      return framed(TYPE.epochVote, [record.statement])
    case 'offence':
      return framed(TYPE.offence, record.certificates)
  }
}

export function decodeRecord(bytes: Uint8Array): StoredRecord {
  const parts: Uint8Array[] = []
  let at = 1
  while (at < bytes.length) {
    if (at + 4 > bytes.length) throw new BorgError('malformed', 'ledger record: truncated length')
    const length = new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0)
    at += 4
    if (at + length > bytes.length) throw new BorgError('malformed', 'ledger record: truncated field')
    parts.push(bytes.subarray(at, at + length))
    at += length
  }
  const [a, b, c, d] = parts
  switch (bytes[0]) {
    case TYPE.vote:
      if (parts.length === 1) return { type: 'vote', block: a! }
      break
    case TYPE.certified:
      if (parts.length === 2) return { type: 'certified', block: a!, certificate: b! }
      if (parts.length === 4) return { type: 'certified', block: a!, certificate: b!, source: { send: c!, certificate: d! } }
      break
    case TYPE.fork:
      if (parts.length === 2) return { type: 'fork', blocks: [a!, b!] }
      break
    case TYPE.epoch:
      if (parts.length === 1) return { type: 'epoch', certificate: a! }
      break
    case TYPE.epochVote:
      if (parts.length === 1) return { type: 'epoch-vote', statement: a! }
      break
    case TYPE.offence:
      if (parts.length === 2) return { type: 'offence', certificates: [a!, b!] }
      break
  }
  throw new BorgError('malformed', `ledger record of type ${bytes[0]} with ${parts.length} fields`)
}

function framed(type: number, parts: readonly Uint8Array[]): Uint8Array {
  return concatBytes(
    Uint8Array.of(type),
    ...parts.flatMap((p) => {
      const length = new Uint8Array(4)
      new DataView(length.buffer).setUint32(0, p.length)
      return [length, p]
    }),
  )
}

export class LedgerStore {
  private constructor(private readonly log: RecordLog) {}

  /** Open the log of network `network` under `dir`; every record in it, oldest first. */
  static async open(dir: string, network: Uint8Array): Promise<{ store: LedgerStore; records: StoredRecord[]; truncated: number }> {
    await mkdir(dir, { recursive: true })
    const { log, records } = await RecordLog.open(join(dir, `ledger-${bytesToHex(network).slice(0, 16)}.log`))
    return { store: new LedgerStore(log), records: records.map(decodeRecord), truncated: log.truncated }
  }

  /** Append records with one write; durable once `flush` resolves. */
  append(records: readonly StoredRecord[]): void {
    // A failed write fails the next flush, which every answer waits for.
    this.log.appendAll(records.map(encodeRecord)).catch(() => undefined)
  }

  /** Everything appended so far is on disk. */
  flush(): Promise<void> {
    return this.log.flush()
  }

  get bytes(): number {
    return this.log.bytes
  }

  close(): Promise<void> {
    return this.log.close()
  }
}
