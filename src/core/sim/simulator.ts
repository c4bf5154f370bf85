/**
 * Virtual time and the event loop. Nothing here waits on real time, promises or
 * the microtask queue: run() pops events off the heap and calls their sinks
 * synchronously, so a run is a pure function of the seed and of the calls made.
 *
 * Exceptions thrown by timer callbacks and onResult callbacks propagate out of
 * step()/run() (like an uncaught exception kills a real process) after the
 * event has been removed, so the caller may inspect the state or keep running.
 * Message handlers are different: the transport catches and counts those.
 */
import { EventQueue, type EventRef, type EventSink } from './event-queue.js'
import { SeededRandom, type Seed } from './seeded-random.js'
import { SimMetrics } from './sim-metrics.js'
import { SimTrace } from './sim-trace.js'

export const DEFAULT_EPOCH_MS = 1_700_000_000_000

export interface SimulatorOptions {
  /** Everything random derives from this; default 1. */
  seed?: Seed
  /** Virtual `now` at start, ms since the Unix epoch; default 1_700_000_000_000 (Nov 2023). */
  epochMs?: number
  /** Record a trace: true keeps the last 100 000 lines, a number sets that limit. */
  trace?: boolean | number
}

export interface RunOptions {
  /** Stop after events at this virtual time (epoch ms) and leave `now` there. */
  until?: number
  /** Stop after this many events. */
  maxEvents?: number
  /** Checked before each event; stop as soon as it returns true. */
  stopWhen?: () => boolean
}

/** Plain callbacks scheduled with Simulator.after()/at(): `a` is the function. */
const CALLBACK_SINK: EventSink = {
  onEvent: (_code, fn) => (fn as () => void)(),
  describe: () => 'callback',
}

export class Simulator {
  readonly seed: Seed
  readonly epochMs: number
  /** Root of all randomness; fork() it rather than drawing from it directly. */
  readonly random: SeededRandom
  readonly metrics = new SimMetrics()
  /** Present when the `trace` option is on. */
  readonly trace: SimTrace | undefined
  private readonly queue = new EventQueue()
  private elapsedMs = 0
  private running = false
  private digestValue = 0x811c9dc5
  private readonly bits = new Float64Array(1)
  private readonly bitWords = new Int32Array(this.bits.buffer)

  constructor(options: SimulatorOptions = {}) {
    this.seed = options.seed ?? 1
    this.epochMs = options.epochMs ?? DEFAULT_EPOCH_MS
    this.random = new SeededRandom(this.seed)
    const trace = options.trace
    this.trace = trace ? new SimTrace(typeof trace === 'number' ? trace : undefined) : undefined
  }

  /** Virtual time, ms since the Unix epoch. */
  get now(): number {
    return this.epochMs + this.elapsedMs
  }

  /** Virtual ms since the simulation started. */
  get elapsed(): number {
    return this.elapsedMs
  }

  /** Events waiting in the queue. */
  get pending(): number {
    return this.queue.size
  }

  /**
   * Running hash of every event processed (time, sequence number, code): two
   * runs agree on it iff they processed the same events in the same order,
   * with no trace needed.
   */
  get digest(): string {
    return (this.digestValue >>> 0).toString(16).padStart(8, '0')
  }

  get tracing(): boolean {
    return this.trace !== undefined
  }

  /** Add a line to the trace (no-op when not tracing; guard costly strings with `tracing`). */
  note(text: string): void {
    this.trace?.record(this.elapsedMs, text)
  }

  /** Schedule `sink.onEvent(code, a, b)` after `delayMs` of virtual time. */
  schedule(delayMs: number, sink: EventSink, code: number, a?: unknown, b?: unknown): EventRef {
    if (!(delayMs >= 0 && delayMs < Infinity)) throw new RangeError(`delay must be finite and >= 0, got ${delayMs}`)
    return this.queue.push(this.elapsedMs + delayMs, sink, code, a, b)
  }

  /** Schedule at an absolute elapsed time; a time already past runs next, at the current time. */
  scheduleAtElapsed(elapsedMs: number, sink: EventSink, code: number, a?: unknown, b?: unknown): EventRef {
    return this.queue.push(elapsedMs > this.elapsedMs ? elapsedMs : this.elapsedMs, sink, code, a, b)
  }

  /** Run a test-level callback after `delayMs` (e.g. "partition at t=5s"). */
  after(delayMs: number, fn: () => void): EventRef {
    return this.schedule(delayMs, CALLBACK_SINK, 0, fn)
  }

  /** Run a test-level callback at virtual time `time` (epoch ms). */
  at(time: number, fn: () => void): EventRef {
    return this.scheduleAtElapsed(time - this.epochMs, CALLBACK_SINK, 0, fn)
  }

  cancel(ref: EventRef): boolean {
    return this.queue.cancel(ref)
  }

  /** Process one event; false when there was none. */
  step(): boolean {
    if (this.queue.size === 0) return false
    this.guardReentry()
    this.running = true
    try {
      this.dispatchNext()
    } finally {
      this.running = false
    }
    return true
  }

  /** Process events in order; returns how many ran. */
  run(options: RunOptions = {}): number {
    this.guardReentry()
    const limit = options.until === undefined ? Infinity : options.until - this.epochMs
    const maxEvents = options.maxEvents ?? Infinity
    const stopWhen = options.stopWhen
    const queue = this.queue
    let count = 0
    let interrupted = false
    this.running = true
    try {
      while (queue.size > 0 && queue.peekTime() <= limit) {
        if (count >= maxEvents || (stopWhen !== undefined && stopWhen())) {
          interrupted = true
          break
        }
        this.dispatchNext()
        count++
      }
    } finally {
      this.running = false
    }
    // Time passes up to `until` even when nothing happens in between.
    if (!interrupted && limit !== Infinity && limit > this.elapsedMs) this.elapsedMs = limit
    return count
  }

  /** Run everything due in the next `ms` of virtual time and advance `now` by exactly `ms`. */
  runFor(ms: number, options: Omit<RunOptions, 'until'> = {}): number {
    if (!(ms >= 0)) throw new RangeError(`runFor: ms must be >= 0, got ${ms}`)
    return this.run({ ...options, until: this.now + ms })
  }

  private dispatchNext(): void {
    const queue = this.queue
    const slot = queue.pop()
    const sink = queue.sink(slot)
    const code = queue.code(slot)
    const a = queue.a(slot)
    const b = queue.b(slot)
    queue.release(slot)
    this.elapsedMs = queue.poppedTime
    this.metrics.events++
    this.mixDigest(queue.poppedTime, queue.poppedSeq, code)
    if (this.trace !== undefined) this.trace.record(this.elapsedMs, sink.describe(code, a, b))
    sink.onEvent(code, a, b)
  }

  private mixDigest(time: number, seq: number, code: number): void {
    this.bits[0] = time
    let h = this.digestValue
    h = Math.imul(h ^ this.bitWords[0]!, 0x01000193)
    h = Math.imul(h ^ this.bitWords[1]!, 0x01000193)
    h = Math.imul(h ^ (seq | 0), 0x01000193)
    this.digestValue = Math.imul(h ^ code, 0x01000193)
  }

  private guardReentry(): void {
    if (this.running) throw new Error('Simulator.run/step called from inside an event; schedule instead')
  }
}
