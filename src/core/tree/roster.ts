/**
 * The root's authoritative list of who holds which position, and the views it
 * derives for each member. Deputies hold replicas (kept up to date with the
 * same operations), so the root can be replaced.
 */
import { plainMember, type Canon } from './members.js'
import { childrenOf, parentOf } from './position.js'
import type { Epoch, Member, Placed, View } from './types.js'

export type RosterOp = { op: 'set'; position: number; member: Member } | { op: 'truncate'; size: number }

export class Roster {
  private readonly members: Member[] = []
  /**
   * Id → position, built on the first lookup: only a root looks positions up. A deputy's replica
   * only applies its root's operations (already checked there) until a promotion makes it a root;
   * without the index it costs a pointer per member instead of a Map entry (~170 B each here,
   * three replicas of a million members).
   */
  private positionIndex?: Map<string, number>
  private get positions(): Map<string, number> {
    let index = this.positionIndex
    if (index === undefined) {
      index = this.positionIndex = new Map()
      for (let i = 0; i < this.members.length; i++) index.set(this.members[i]!.id, i + 1)
    }
    return index
  }

  constructor(
    readonly treeId: string,
    public epoch: Epoch,
    readonly maxChildren: number,
    readonly deputyCount: number,
    /** Makes the Member stored for an (id, endpoint) (shared through a MemberTable, or a plain copy). */
    private readonly canon: Canon = plainMember,
  ) {}

  static fromSnapshot(treeId: string, epoch: Epoch, maxChildren: number, deputyCount: number, members: Member[], canon?: Canon): Roster {
    const roster = new Roster(treeId, epoch, maxChildren, deputyCount, canon)
    members.forEach((m, i) => roster.set(i + 1, m))
    return roster
  }

  get size(): number {
    return this.members.length
  }

  at(position: number): Member | undefined {
    return this.members[position - 1]
  }

  positionOf(id: string): number | undefined {
    return this.positions.get(id)
  }

  snapshot(): Member[] {
    return this.members.slice()
  }

  /** Apply one operation (on the root, and on deputies replaying the root's log). */
  apply(op: RosterOp): void {
    if (op.op === 'set') this.set(op.position, op.member)
    else this.truncate(op.size)
  }

  placed(position: number): Placed {
    const m = this.members[position - 1]
    if (!m) throw new RangeError(`no member at position ${position}`)
    return { id: m.id, endpoint: m.endpoint, position }
  }

  deputies(): Placed[] {
    const out: Placed[] = []
    for (let p = 2; p <= Math.min(this.size, 1 + this.deputyCount); p++) out.push(this.placed(p))
    return out
  }

  /** The view the node at `position` should hold. */
  viewFor(position: number): View {
    return {
      treeId: this.treeId,
      epoch: { ...this.epoch },
      position,
      size: this.size,
      root: this.placed(1),
      parent: position > 1 ? this.placed(parentOf(position, this.maxChildren)) : undefined,
      children: childrenOf(position, this.maxChildren, this.size).map((c) => this.placed(c)),
      deputies: this.deputies(),
      last: this.placed(this.size),
    }
  }

  private set(position: number, member: Member): void {
    if (position < 1 || position > this.members.length + 1) throw new RangeError(`position ${position} would leave a gap`)
    const positions = this.positionIndex
    if (positions !== undefined) {
      const previous = this.members[position - 1]
      if (previous && positions.get(previous.id) === position) positions.delete(previous.id)
      const old = positions.get(member.id)
      if (old !== undefined && old !== position && this.members[old - 1]?.id === member.id) {
        throw new RangeError(`member ${member.id.slice(0, 12)} already holds position ${old}`)
      }
    }
    const kept = this.canon(member.id, member.endpoint)
    this.members[position - 1] = kept
    positions?.set(kept.id, position)
  }

  private truncate(size: number): void {
    const positions = this.positionIndex
    while (this.members.length > size) {
      const m = this.members.pop()!
      if (positions?.get(m.id) === this.members.length + 1) positions.delete(m.id)
    }
  }
}
