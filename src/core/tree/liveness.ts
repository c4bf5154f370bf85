/**
 * Adaptive failure detection: per peer, an exponentially weighted mean and
 * deviation of the gaps between messages heard; a peer is suspected once the
 * silence exceeds mean + 4·deviation, or two mean gaps and a half of the expected
 * gap if that is longer (one missed beat of a quiet leaf), clamped; so a slow link or a busy peer
 * gets a longer timeout than a fast, regular one.
 *
 * A node watches its parent and children only (a dozen peers), so they sit in
 * two small arrays scanned linearly: the ids, and (last heard, mean gap,
 * deviation) per peer as unboxed doubles. A Map of objects costs ~100 B more
 * per peer in boxed numbers alone.
 */
import { idTag } from './members.js'

const STRIDE = 3 // last, mean, dev

export class Liveness {
  private ids: string[] | undefined
  /** idTag of each id: scans compare these and read an id string only on a match. */
  private tags: number[] | undefined
  private values: number[] | undefined

  constructor(
    private readonly expectedGapMs: number,
    private readonly minTimeoutMs: number,
    private readonly maxTimeoutMs: number,
  ) {}

  /** Start watching a peer as if just heard from (a new child or parent). */
  watch(id: string, now: number): void {
    if (this.indexOf(id) < 0) this.add(id, now)
  }

  heard(id: string, now: number): void {
    const i = this.indexOf(id)
    if (i < 0) return this.add(id, now)
    const v = this.values!
    const at = i * STRIDE
    const gap = now - v[at]!
    v[at] = now
    const error = gap - v[at + 1]!
    v[at + 1] = v[at + 1]! + 0.125 * error
    v[at + 2] = v[at + 2]! + 0.25 * (Math.abs(error) - v[at + 2]!)
  }

  timeoutOf(id: string): number {
    const i = this.indexOf(id)
    if (i < 0) return this.minTimeoutMs
    const mean = this.values![i * STRIDE + 1]!
    // A peer that beats every 2 s (a quiet leaf) may miss one beat without being suspected: at least two
    // mean gaps and half the expected one (which stays under the minimum for peers beating every second).
    const raw = Math.max(mean + 4 * this.values![i * STRIDE + 2]!, 2 * mean + this.expectedGapMs / 2)
    return Math.min(this.maxTimeoutMs, Math.max(this.minTimeoutMs, raw))
  }

  silence(id: string, now: number): number {
    const i = this.indexOf(id)
    return i >= 0 ? now - this.values![i * STRIDE]! : Infinity
  }

  isSuspected(id: string, now: number): boolean {
    return this.silence(id, now) > this.timeoutOf(id)
  }

  forget(id: string): void {
    const i = this.indexOf(id)
    if (i < 0) return
    this.ids!.splice(i, 1)
    this.tags!.splice(i, 1)
    this.values!.splice(i * STRIDE, STRIDE)
  }

  retain(ids: Set<string>): void {
    const list = this.ids
    if (!list) return
    for (let i = list.length - 1; i >= 0; i--) {
      if (ids.has(list[i]!)) continue
      list.splice(i, 1)
      this.tags!.splice(i, 1)
      this.values!.splice(i * STRIDE, STRIDE)
    }
  }

  clear(): void {
    this.ids = undefined
    this.tags = undefined
    this.values = undefined
  }

  private add(id: string, now: number): void {
    ;(this.ids ??= []).push(id)
    ;(this.tags ??= []).push(idTag(id))
    ;(this.values ??= []).push(now, this.expectedGapMs, this.expectedGapMs / 2)
  }

  private indexOf(id: string): number {
    const tags = this.tags
    if (!tags) return -1
    const tag = idTag(id)
    for (let i = 0; i < tags.length; i++) if (tags[i] === tag && this.ids![i] === id) return i
    return -1
  }
}
