/** A bounded set of known nodes: for rejoining, and for roots to discover other trees. */
import type { Random } from '../wire/random.js'
import type { Member } from './types.js'

export class ContactBook {
  private readonly byId = new Map<string, Member>()

  constructor(private readonly max: number) {}

  get size(): number {
    return this.byId.size
  }

  add(member: Member | undefined, selfId?: string): void {
    if (!member || member.id === selfId || !member.endpoint) return
    this.byId.delete(member.id) // re-insert: newest last
    this.byId.set(member.id, { id: member.id, endpoint: member.endpoint })
    if (this.byId.size > this.max) this.byId.delete(this.byId.keys().next().value!)
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
