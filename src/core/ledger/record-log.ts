/**
 * An append-only, crash-safe log of records (a representative's certified
 * blocks and their certificates; docs/ledger.md "Storage"). Each record is
 * framed as
 *
 *   length (u32, big-endian) · record bytes · SHA-256 of the record (32)
 *
 * and appended with one write; `flush` fsyncs what was appended, so the
 * callers that wait for it (a vote, an applied certificate) never answer
 * before their record is on disk, and many appends share one fsync. On
 * opening, the log is read from the start and stops at the first frame that
 * is incomplete or whose hash does not match (a write cut short by kill -9 or
 * a power cut): that tail is cut off the file, so a reader never sees a
 * half-written record, and every record that was flushed is still there.
 * No native addon and no engine: one file, plain node:fs (the bun binary
 * included).
 */
import { open, type FileHandle } from 'node:fs/promises'
import { BorgError } from '../errors.js'
import { equalBytes } from '../bytes.js'
import { sha256 } from '../crypto/hash.js'

const HEADER_BYTES = 4
const HASH_BYTES = 32
/** A record larger than this is refused (and a frame claiming more ends the log). */
export const MAX_RECORD_BYTES = 1024 * 1024

export class RecordLog {
  private pending: Promise<void> = Promise.resolve()
  private dirty = false

  private constructor(
    private readonly file: FileHandle,
    private size: number,
    /** Bytes cut off the end when opening (a torn write). */
    readonly truncated: number,
  ) {}

  /** Open (or create) the log at `path`; returns it and every intact record, oldest first. */
  static async open(path: string): Promise<{ log: RecordLog; records: Uint8Array[] }> {
    const file = await open(path, 'a+')
    try {
      const bytes = new Uint8Array(await file.readFile())
      const records: Uint8Array[] = []
      let at = 0
      while (at + HEADER_BYTES <= bytes.length) {
        const length = new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0)
        const end = at + HEADER_BYTES + length + HASH_BYTES
        if (length > MAX_RECORD_BYTES || end > bytes.length) break
        const record = bytes.slice(at + HEADER_BYTES, at + HEADER_BYTES + length)
        if (!equalBytes(sha256(record), bytes.subarray(at + HEADER_BYTES + length, end))) break
        records.push(record)
        at = end
      }
      if (at < bytes.length) {
        await file.truncate(at)
        await file.sync()
      }
      return { log: new RecordLog(file, at, bytes.length - at), records }
    } catch (error) {
      await file.close()
      throw error
    }
  }

  /** Bytes in the log. */
  get bytes(): number {
    return this.size
  }

  /** Append one record (durable once a later `flush` resolves). */
  append(record: Uint8Array): Promise<void> {
    return this.appendAll([record])
  }

  /** Append records with one write (durable once a later `flush` resolves). */
  appendAll(records: readonly Uint8Array[]): Promise<void> {
    let length = 0
    for (const record of records) {
      if (record.length > MAX_RECORD_BYTES) throw new BorgError('too-large', `a log record holds at most ${MAX_RECORD_BYTES} bytes`)
      length += HEADER_BYTES + record.length + HASH_BYTES
    }
    const frame = new Uint8Array(length)
    const view = new DataView(frame.buffer)
    let at = 0
    for (const record of records) {
      view.setUint32(at, record.length)
      frame.set(record, at + HEADER_BYTES)
      frame.set(sha256(record), at + HEADER_BYTES + record.length)
      at += HEADER_BYTES + record.length + HASH_BYTES
    }
    this.size += frame.length
    this.dirty = true
    // Writes are chained so frames never interleave.
    this.pending = this.pending.then(async () => {
      await this.file.write(frame, 0, frame.length, null)
    })
    return this.pending
  }

  /** Everything appended so far is on disk when this resolves (one fsync for all of it). */
  flush(): Promise<void> {
    if (!this.dirty) return this.pending
    this.dirty = false
    this.pending = this.pending.then(() => this.file.datasync())
    return this.pending
  }

  async close(): Promise<void> {
    await this.flush()
    await this.file.close()
  }
}
