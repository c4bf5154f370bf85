/**
 * Cuts a byte stream of envelopes sent back to back (a link, docs/protocol.md
 * §4.5) into envelopes. An envelope delimits itself: its header says how long
 * its body is. The splitter only finds the boundaries (without decoding the
 * header's fields); checking is the reader's (reader.ts), which the sink feeds.
 */
import { concatBytes } from '../bytes.js'
import { envelopeExtent } from './codec.js'

const EMPTY = new Uint8Array(0)

export interface EnvelopeSink {
  /**
   * A new envelope begins: its body length and whole length (structure checked, nothing else), and
   * `head`, its bytes so far (at least the whole header: parse it there when needed). May throw to
   * stop the stream.
   */
  start(bodyLength: number, totalBytes: number, head: Uint8Array): void
  /** The envelope's next bytes, header first (views into the pushed chunks: not copied). */
  data(bytes: Uint8Array): void
  /** Its last byte was passed. */
  end(): void
}

export class EnvelopeSplitter {
  private head: Uint8Array = EMPTY
  /** Bytes of the current envelope still to come (0: at a boundary). */
  private remaining = 0

  constructor(private readonly sink: EnvelopeSink) {}

  /** True between envelopes (nothing of a next one received yet). */
  get atBoundary(): boolean {
    return this.remaining === 0 && this.head.length === 0
  }

  /** Throws what envelopeExtent or the sink throws (the stream is unusable after that). */
  push(chunk: Uint8Array): void {
    let data = chunk
    while (data.length > 0) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, data.length)
        this.remaining -= take
        this.sink.data(take === data.length ? data : data.subarray(0, take))
        data = data.subarray(take)
        if (this.remaining === 0) this.sink.end()
        continue
      }
      const head = this.head.length === 0 ? data : concatBytes(this.head, data)
      const extent = envelopeExtent(head)
      if (extent.status === 'incomplete') {
        this.head = head === data ? data.slice() : head
        return
      }
      this.head = EMPTY
      const total = extent.headerLength + extent.bodyLength
      this.sink.start(extent.bodyLength, total, head)
      const take = Math.min(total, head.length)
      this.remaining = total - take
      this.sink.data(take === head.length ? head : head.subarray(0, take))
      if (this.remaining === 0) this.sink.end()
      data = head.subarray(take)
    }
  }
}
