/**
 * A bounded set of known nodes: for rejoining, and for roots to discover other
 * trees. When full, a random entry makes room (not the oldest): gossip keeps
 * re-adding the same few nearby nodes, and LRU eviction would soon forget
 * everyone else, which is exactly who a split needs to find again.
 *
 * Stored as a plain array in insertion order (64 pointers, scanned linearly):
 * far smaller than a Map per node, and with a MemberTable the entries are
 * shared objects, so a simulated million nodes' books cost ~1 KB each. A
 * parallel array of id tags (small integers) keeps scans from reading every
 * entry's member and id string.
 */
import type { Random } from '../wire/random.js'
import { idTag, plainMember, type Canon } from './members.js'
import type { Member } from './types.js'

/** Marks for random(): reused, since a draw never re-enters. */
let taken = new Uint8Array(64)

export class ContactBook {
  private list: Member[] | undefined
  private tags: number[] | undefined
  private evictions = 0

  constructor(
    private readonly max: number,
    /** Makes the Member kept for an (id, endpoint): never the caller's object, which may be a larger Placed. */
    private readonly canon: Canon = plainMember,
  ) {}

  get size(): number {
    return this.list?.length ?? 0
  }

  add(member: Member | undefined, selfId?: string): void {
    if (!member || member.id === selfId || !member.endpoint) return
    const list = (this.list ??= [])
    const tags = (this.tags ??= [])
    const tag = idTag(member.id)
    const i = this.indexOf(member.id, tag)
    if (i >= 0) {
      if (list[i]!.endpoint !== member.endpoint) list[i] = this.canon(member.id, member.endpoint)
      return
    }
    if (list.length >= this.max) {
      // Deterministic pseudo-random victim (no Random here: the book must not perturb protocol randomness).
      const victim = (Math.imul(++this.evictions, 0x9e3779b1) >>> 0) % list.length
      list.splice(victim, 1)
      tags.splice(victim, 1)
    }
    list.push(this.canon(member.id, member.endpoint))
    tags.push(tag)
  }

  has(id: string): boolean {
    return this.indexOf(id, idTag(id)) >= 0
  }

  remove(id: string): void {
    const i = this.indexOf(id, idTag(id))
    if (i < 0) return
    this.list!.splice(i, 1)
    this.tags!.splice(i, 1)
  }

  all(): Member[] {
    return this.list ? this.list.slice() : []
  }

  /**
   * Up to `count` distinct entries drawn uniformly, skipping `exclude` (an id,
   * or a predicate). Draws as if from a shrinking pool of the eligible entries
   * in insertion order, without building that pool.
   */
  random(random: Random, count: number, exclude?: string | ((m: Member) => boolean)): Member[] {
    const out: Member[] = []
    const list = this.list
    if (!list || count <= 0) return out
    const n = list.length
    if (taken.length < n) taken = new Uint8Array(n)
    let eligible = n
    taken.fill(0, 0, n)
    if (typeof exclude === 'string') {
      const i = this.indexOf(exclude, idTag(exclude))
      if (i >= 0) {
        taken[i] = 1
        eligible--
      }
    } else if (exclude !== undefined) {
      for (let i = 0; i < n; i++) {
        if (!exclude(list[i]!)) continue
        taken[i] = 1
        eligible--
      }
    }
    while (out.length < count && eligible > 0) {
      let k = random.int(eligible)
      for (let i = 0; i < n; i++) {
        if (taken[i] !== 0) continue
        if (k-- === 0) {
          taken[i] = 1
          out.push(list[i]!)
          break
        }
      }
      eligible--
    }
    return out
  }

  private indexOf(id: string, tag: number): number {
    const tags = this.tags
    if (!tags) return -1
    for (let i = 0; i < tags.length; i++) if (tags[i] === tag && this.list![i]!.id === id) return i
    return -1
  }
}
