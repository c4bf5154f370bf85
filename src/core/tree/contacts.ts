/**
 * A bounded set of known nodes: for rejoining, and for roots to discover other
 * trees. When full, a random entry makes room (not the oldest): gossip keeps
 * re-adding the same few nearby nodes, and LRU eviction would soon forget
 * everyone else, which is exactly who a split needs to find again.
 */
import type { Random } from '../wire/random.js'
import type { Member } from './types.js'

export class ContactBook {
  private readonly byId = new Map<string, Member>()
  private evictions = 0

  constructor(private readonly max: number) {}

  get size(): number {
    return this.byId.size
  }

  add(member: Member | undefined, selfId?: string): void {
    if (!member || member.id === selfId || !member.endpoint) return
    const known = this.byId.get(member.id)
    if (known) {
      known.endpoint = member.endpoint
      return
    }
    if (this.byId.size >= this.max) {
      // Deterministic pseudo-random victim (no Random here: the book must not perturb protocol randomness).
      const keys = [...this.byId.keys()]
      this.byId.delete(keys[(Math.imul(++this.evictions, 0x9e3779b1) >>> 0) % keys.length]!)
    }
    this.byId.set(member.id, { id: member.id, endpoint: member.endpoint })
  }

  remove(id: string): void {
    this.byId.delete(id)
  }

  all(): Member[] {
    return [...this.byId.values()]
  }

  random(random: Random, count: number, exclude?: (m: Member) => boolean): Member[] {
    const pool = this.all().filter((m) => !exclude?.(m))
    const out: Member[] = []
    while (out.length < count && pool.length > 0) out.push(pool.splice(random.int(pool.length), 1)[0]!)
    return out
  }
}
