/**
 * A bounded log of what the simulator did, one short line per event, for
 * diffing two runs or reading the lead-up to a failure. Ring buffer: a long
 * run keeps only its most recent `limit` lines.
 */
export class SimTrace {
  private readonly lines: string[] = []
  private next = 0
  /** Lines recorded in total, including those the ring has overwritten. */
  total = 0

  constructor(readonly limit = 100_000) {
    if (!(limit >= 1)) throw new RangeError('trace limit must be at least 1')
  }

  record(elapsedMs: number, text: string): void {
    const line = `${formatMs(elapsedMs)} ${text}`
    if (this.lines.length < this.limit) this.lines.push(line)
    else this.lines[this.next] = line
    this.next = (this.next + 1) % this.limit
    this.total++
  }

  /** Retained lines, oldest first. */
  toArray(): string[] {
    if (this.lines.length < this.limit) return this.lines.slice()
    return [...this.lines.slice(this.next), ...this.lines.slice(0, this.next)]
  }

  tail(count: number): string[] {
    return this.toArray().slice(-count)
  }
}

/** Elapsed ms with just enough decimals to tell jittered events apart. */
function formatMs(ms: number): string {
  return Number.isInteger(ms) ? String(ms) : ms.toFixed(3)
}
