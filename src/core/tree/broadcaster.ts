/**
 * Flooding along tree edges with duplicate suppression. A node that sees a
 * broadcast id for the first time delivers it and forwards it to every tree
 * neighbour except the one it came from, so a stable tree of N nodes carries
 * exactly N-1 copies. Recent broadcasts are kept so they can be resent over a
 * link that was just repaired (the receiver drops what it already has).
 */
import type { Broadcast } from './messages.js'

interface Recent {
  broadcast: Broadcast
  at: number
}

/** Ids remembered in two small arrays up to this many, in a Map beyond (an empty Map alone is ~800 B per node here). */
const SMALL_SEEN = 16

export class BroadcastMemory {
  // Allocated with the first broadcast: most simulated nodes never see one. Ids and expiries in insertion
  // order (which is expiry order) while few, scanned linearly; a Map once there are more than SMALL_SEEN.
  private seenIds?: string[]
  private seenExpiries?: number[]
  private seenMap?: Map<string, number>
  private recentList?: Recent[]
  private get recent(): Recent[] {
    return (this.recentList ??= [])
  }
  stats = { originated: 0, delivered: 0, duplicates: 0, forwarded: 0, resent: 0 }

  constructor(
    private readonly memoryMs: number,
    private readonly keepRecent: number,
  ) {}

  /** True the first time a broadcast id is seen (and remembers it). */
  firstSight(broadcast: Broadcast, now: number): boolean {
    if (this.has(broadcast.bid)) {
      this.stats.duplicates++
      return false
    }
    this.remember(broadcast.bid, now + this.memoryMs)
    this.recent.push({ broadcast, at: now })
    if (this.recent.length > this.keepRecent) this.recent.shift()
    return true
  }

  /** Re-home a known broadcast into another tree (it stays seen; the new copy is resent from here). */
  adopt(broadcast: Broadcast, now: number): void {
    const existing = this.recent.findIndex((r) => r.broadcast.bid === broadcast.bid && r.broadcast.treeId === broadcast.treeId)
    if (existing >= 0) return
    this.recent.push({ broadcast, at: now })
    if (this.recent.length > this.keepRecent) this.recent.shift()
  }

  has(bid: string): boolean {
    return this.seenMap ? this.seenMap.has(bid) : (this.seenIds?.includes(bid) ?? false)
  }

  private remember(bid: string, expires: number): void {
    if (this.seenMap) return void this.seenMap.set(bid, expires)
    const ids = (this.seenIds ??= [])
    const expiries = (this.seenExpiries ??= [])
    if (ids.length < SMALL_SEEN) {
      ids.push(bid)
      expiries.push(expires)
      return
    }
    this.seenMap = new Map(ids.map((id, i) => [id, expiries[i]!]))
    this.seenMap.set(bid, expires)
    this.seenIds = this.seenExpiries = undefined
  }

  /** Broadcasts worth resending over a new link. */
  recentSince(now: number, windowMs: number): Broadcast[] {
    const recent = this.recentList
    return recent ? recent.filter((r) => now - r.at <= windowMs).map((r) => r.broadcast) : []
  }

  prune(now: number): void {
    const seen = this.seenMap
    if (!seen) {
      const expiries = this.seenExpiries
      if (!expiries) return
      let expired = 0
      while (expired < expiries.length && expiries[expired]! <= now) expired++ // insertion order is expiry order
      if (expired === 0) return
      if (expired === expiries.length) this.seenIds = this.seenExpiries = undefined
      else {
        expiries.splice(0, expired)
        this.seenIds!.splice(0, expired)
      }
      return
    }
    for (const [bid, expires] of seen) {
      if (expires > now) break // insertion order is expiry order
      seen.delete(bid)
    }
  }
}
