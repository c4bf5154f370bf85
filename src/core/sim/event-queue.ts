/**
 * The simulator's agenda: a 4-ary min-heap keyed by (time, sequence number).
 * The sequence number makes equal-time events fire in scheduling order, which
 * is what makes runs reproducible.
 *
 * Layout: the heap is one Float64Array of (time, seq, slot) triples, so a sift
 * step reads all four children from one or two cache lines and touches no
 * objects. Four children per entry halve the depth of a binary heap: at a
 * million simulated nodes (a million pending ticks) a pop sifts through 10
 * levels instead of 20, and most of those levels miss the cache.
 * Each slot keeps (sink, a, b) side by side in one array and (code,
 * generation, live) in one Int32Array, so an event's data sits together.
 * Callers pass a long-lived sink plus data instead of a fresh closure, so
 * scheduling allocates nothing once the arrays have grown.
 *
 * Cancellation is lazy: the slot is marked and skipped when it reaches the top,
 * which keeps sifting free of position bookkeeping. When cancelled entries
 * outnumber live ones the heap is compacted, so memory stays O(live events).
 */

/** Receives events: one object serves many events, told apart by `code`. */
export interface EventSink {
  onEvent(code: number, a: unknown, b: unknown): void
  /** One trace line for this event; only called when tracing is on. */
  describe(code: number, a: unknown, b: unknown): string
}

/** Opaque handle for cancel(): slot number plus the slot's generation. */
export type EventRef = number

const SLOT_SPAN = 2 ** 26 // max simultaneously queued events (67 M)
const GEN_MASK = SLOT_SPAN - 1
const STRIDE = 3 // heap entry: time, seq, slot
const OBJECTS = 3 // per slot in `objects`: sink, a, b
const META = 3 // per slot in `meta`: code, generation, live (1 while queued and not cancelled)

export class EventQueue {
  /** Entries in the heap, including cancelled ones not yet skipped. */
  private entries = 0
  private cancelled = 0
  /** Time and seq of the event last returned by pop(). */
  poppedTime = 0
  poppedSeq = 0
  private nextSeq = 0
  private heap: Float64Array
  private readonly objects: unknown[] = []
  private meta: Int32Array
  private freeSlots: Int32Array
  private freeCount = 0
  private slotCount = 0

  constructor(initialCapacity = 1024) {
    this.heap = new Float64Array(initialCapacity * STRIDE)
    this.meta = new Int32Array(initialCapacity * META)
    this.freeSlots = new Int32Array(initialCapacity)
  }

  // What a popped slot holds (read these between pop() and release()).
  sink(slot: number): EventSink {
    return this.objects[slot * OBJECTS] as EventSink
  }

  a(slot: number): unknown {
    return this.objects[slot * OBJECTS + 1]
  }

  b(slot: number): unknown {
    return this.objects[slot * OBJECTS + 2]
  }

  code(slot: number): number {
    return this.meta[slot * META]!
  }

  /** Pending (not cancelled) events. */
  get size(): number {
    return this.entries - this.cancelled
  }

  /** Earliest pending time, or Infinity when empty. */
  peekTime(): number {
    this.skipCancelled()
    return this.entries > 0 ? this.heap[0]! : Infinity
  }

  push(time: number, sink: EventSink, code: number, a: unknown, b: unknown): EventRef {
    const slot = this.allocateSlot()
    const o = slot * OBJECTS
    const objects = this.objects
    // Slots are handed out in order, so a fresh slot appends: the array stays packed.
    if (o === objects.length) objects.push(sink, a, b)
    else {
      objects[o] = sink
      objects[o + 1] = a
      objects[o + 2] = b
    }
    const m = slot * META
    this.meta[m] = code
    this.meta[m + 2] = 1
    if ((this.entries + 1) * STRIDE > this.heap.length) this.heap = grown(this.heap)
    this.siftUp(this.entries++, time, this.nextSeq++, slot)
    return this.meta[m + 1]! * SLOT_SPAN + slot
  }

  /**
   * Remove the earliest pending event and return its slot; read
   * sinks/codes/as/bs at that slot, then call release(slot). Two steps so no
   * result object is allocated. Only call when size > 0.
   */
  pop(): number {
    this.skipCancelled()
    const heap = this.heap
    const slot = heap[2]! | 0
    this.poppedTime = heap[0]!
    this.poppedSeq = heap[1]!
    this.removeTop()
    return slot
  }

  release(slot: number): void {
    this.clearObjects(slot)
    this.meta[slot * META + 2] = 0
    this.freeSlot(slot)
  }

  /** Cancel a pending event; false when it already fired or was cancelled. */
  cancel(ref: EventRef): boolean {
    const slot = ref % SLOT_SPAN
    const m = slot * META
    if (slot >= this.slotCount || this.meta[m + 1] !== (ref - slot) / SLOT_SPAN || this.meta[m + 2] !== 1) return false
    this.meta[m + 2] = 0
    // Drop references now so a cancelled timer's closure can be collected before its time comes.
    this.clearObjects(slot)
    if (++this.cancelled > 1024 && this.cancelled * 2 > this.entries) this.compact()
    return true
  }

  private skipCancelled(): void {
    const heap = this.heap
    while (this.entries > 0 && this.meta[(heap[2]! | 0) * META + 2] === 0) {
      const slot = heap[2]! | 0
      this.removeTop()
      this.cancelled--
      this.freeSlot(slot)
    }
  }

  private clearObjects(slot: number): void {
    const o = slot * OBJECTS
    this.objects[o] = undefined
    this.objects[o + 1] = undefined
    this.objects[o + 2] = undefined
  }

  /** Back to the free list with a new generation, so old refs to it go stale. */
  private freeSlot(slot: number): void {
    const g = slot * META + 1
    this.meta[g] = (this.meta[g]! + 1) & GEN_MASK
    this.freeSlots[this.freeCount++] = slot
  }

  private removeTop(): void {
    const last = --this.entries
    if (last === 0) return
    const heap = this.heap
    const base = last * STRIDE
    this.siftDown(0, heap[base]!, heap[base + 1]!, heap[base + 2]!)
  }

  /** Drop every cancelled entry and re-heapify: O(n), run when at least half the heap is dead. */
  private compact(): void {
    const heap = this.heap
    let kept = 0
    for (let i = 0; i < this.entries; i++) {
      const base = i * STRIDE
      const slot = heap[base + 2]! | 0
      if (this.meta[slot * META + 2] === 0) {
        this.freeSlot(slot)
        continue
      }
      const to = kept++ * STRIDE
      heap[to] = heap[base]!
      heap[to + 1] = heap[base + 1]!
      heap[to + 2] = slot
    }
    this.entries = kept
    this.cancelled = 0
    for (let i = (kept - 2) >> 2; i >= 0; i--) {
      const base = i * STRIDE
      this.siftDown(i, heap[base]!, heap[base + 1]!, heap[base + 2]!)
    }
  }

  private allocateSlot(): number {
    if (this.freeCount > 0) return this.freeSlots[--this.freeCount]!
    if (this.slotCount === this.freeSlots.length) this.growSlots()
    if (this.slotCount >= SLOT_SPAN) throw new RangeError(`more than ${SLOT_SPAN} queued events`)
    return this.slotCount++
  }

  private siftUp(position: number, time: number, seq: number, slot: number): void {
    const heap = this.heap
    while (position > 0) {
      const parent = (position - 1) >> 2
      const p = parent * STRIDE
      const parentTime = heap[p]!
      if (!(time < parentTime || (time === parentTime && seq < heap[p + 1]!))) break
      const at = position * STRIDE
      heap[at] = parentTime
      heap[at + 1] = heap[p + 1]!
      heap[at + 2] = heap[p + 2]!
      position = parent
    }
    const at = position * STRIDE
    heap[at] = time
    heap[at + 1] = seq
    heap[at + 2] = slot
  }

  private siftDown(position: number, time: number, seq: number, slot: number): void {
    const heap = this.heap
    const size = this.entries
    for (;;) {
      // Four children side by side (96 bytes): the smallest of them, in one or two cache lines.
      const first = 4 * position + 1
      if (first >= size) break
      let child = first
      let c = first * STRIDE
      let childTime = heap[c]!
      const last = Math.min(first + 4, size)
      for (let k = first + 1; k < last; k++) {
        const r = k * STRIDE
        const t = heap[r]!
        if (t < childTime || (t === childTime && heap[r + 1]! < heap[c + 1]!)) {
          child = k
          c = r
          childTime = t
        }
      }
      if (!(childTime < time || (childTime === time && heap[c + 1]! < seq))) break
      const at = position * STRIDE
      heap[at] = childTime
      heap[at + 1] = heap[c + 1]!
      heap[at + 2] = heap[c + 2]!
      position = child
    }
    const at = position * STRIDE
    heap[at] = time
    heap[at + 1] = seq
    heap[at + 2] = slot
  }

  private growSlots(): void {
    const capacity = this.freeSlots.length * 2
    this.meta = grownTo(this.meta, new Int32Array(capacity * META))
    this.freeSlots = grownTo(this.freeSlots, new Int32Array(capacity))
  }
}

function grown(heap: Float64Array): Float64Array {
  const bigger = new Float64Array(heap.length * 2)
  bigger.set(heap)
  return bigger
}

function grownTo(old: Int32Array, fresh: Int32Array): Int32Array {
  fresh.set(old)
  return fresh
}
