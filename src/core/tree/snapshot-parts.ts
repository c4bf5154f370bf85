/**
 * Rosters larger than one message (tree.sync and tree.promote with `part`):
 * cutting a snapshot into parts, and putting the parts of one sender, tree
 * and epoch back together on the receiving side, within the same bound on
 * members as a snapshot in one message.
 */
import { MAX_SNAPSHOT_MEMBERS } from './messages.js'
import { compareEpoch, type Epoch, type Member } from './types.js'

/** `members` cut into runs of `size` (the last may be shorter). */
export function partsOf(members: Member[], size: number): Member[][] {
  const parts: Member[][] = []
  for (let start = 0; start < members.length; start += size) parts.push(members.slice(start, start + size))
  return parts
}

/** The parts of one snapshot received so far. */
export class PartsInTransit {
  private readonly parts: (Member[] | undefined)[]
  /** Parts received. */
  received = 0
  private members = 0

  constructor(
    readonly from: string,
    readonly treeId: string,
    readonly epoch: Epoch,
    count: number,
  ) {
    this.parts = new Array<Member[] | undefined>(count).fill(undefined)
  }

  /** Whether a part with these fields belongs to this snapshot. */
  matches(from: string, treeId: string, epoch: Epoch, count: number): boolean {
    return this.from === from && this.treeId === treeId && compareEpoch(this.epoch, epoch) === 0 && this.parts.length === count
  }

  /** Keep part `index`; false for a part already here or one that would pass MAX_SNAPSHOT_MEMBERS. */
  add(index: number, members: Member[]): boolean {
    if (this.parts[index] !== undefined || this.members + members.length > MAX_SNAPSHOT_MEMBERS) return false
    this.parts[index] = members
    this.members += members.length
    this.received++
    return true
  }

  get complete(): boolean {
    return this.received === this.parts.length
  }

  /** The snapshot, once complete. */
  whole(): Member[] {
    const snapshot: Member[] = []
    for (const part of this.parts) for (const m of part!) snapshot.push(m)
    return snapshot
  }
}
