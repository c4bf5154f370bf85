/**
 * Canonical Member objects. Every decoded message makes fresh strings for the
 * ids and endpoints it carries; a node that keeps them (contacts, views,
 * rosters) would hold its own copy of every 66-character id it has heard of.
 * A MemberTable hands out one shared, never-mutated Member per (id, endpoint)
 * instead, so all the places (and, in the simulator, all the nodes) that know
 * a member share one object.
 *
 * The table only grows: it suits the simulator, where one table serves a whole
 * organism. A real node does without (TreeNodeDeps.members unset) and keeps
 * plain copies.
 */
import { internalized } from '../strings.js'
import type { Epoch, Member, Placed } from './types.js'

/** Positions below this share Placed objects through an array (up to 32 MB of slots); beyond, a Map (any number a message names). */
const NEAR_POSITIONS = 2 ** 22

export class MemberTable {
  private readonly byId = new Map<string, Member>()
  private readonly texts = new Map<string, string>()

  /** The shared Member for (id, endpoint); a changed endpoint replaces the entry (old holders keep theirs). */
  readonly member: Canon = (id, endpoint) => {
    const known = this.byId.get(id)
    if (known !== undefined && known.endpoint === endpoint) return known
    const fresh: Member = Object.freeze({ id: known?.id ?? internalized(id), endpoint })
    this.byId.set(fresh.id, fresh)
    return fresh
  }

  /** Placed objects by position: an array while positions are small (a Map entry costs ~170 B here, a slot 8). */
  private readonly byPosition: (Placed | undefined)[] = []
  private byFarPosition?: Map<number, Placed>
  private readonly epochs = new Map<number, Epoch>()

  /**
   * The shared Placed for a member at a position. Every view and every tree
   * info names the same deputies and last node, and each child is named by its
   * parent's view and its grandparent's: one object each instead of one per
   * holder. (Keyed by position; another occupant replaces the entry.)
   */
  placed(member: Member, position: number): Placed {
    const near = position < NEAR_POSITIONS
    const known = near ? this.byPosition[position] : this.byFarPosition?.get(position)
    if (known !== undefined && known.id === member.id && known.endpoint === member.endpoint) return known
    const fresh: Placed = Object.freeze({ id: member.id, endpoint: member.endpoint, position })
    if (!near) (this.byFarPosition ??= new Map()).set(position, fresh)
    else {
      const list = this.byPosition
      while (list.length < position) list.push(undefined) // dense: no holes for the engine to turn sparse
      list[position] = fresh
    }
    return fresh
  }

  /** The shared Epoch for (term, seq): most nodes hold the same few. */
  epoch(term: number, seq: number): Epoch {
    if (term >= 2 ** 20 || seq >= 2 ** 32) return { term, seq }
    const key = term * 2 ** 32 + seq
    let e = this.epochs.get(key)
    if (e === undefined) this.epochs.set(key, (e = Object.freeze({ term, seq })))
    return e
  }

  /** The table's copy of an id (the argument itself when unknown). */
  id(value: string): string {
    return this.byId.get(value)?.id ?? value
  }

  /** One shared copy of a short string that recurs everywhere (tree ids, endpoints). */
  text(value: string): string {
    const known = this.texts.get(value)
    if (known !== undefined) return known
    const copy = internalized(value)
    this.texts.set(copy, copy)
    return copy
  }

  get size(): number {
    return this.byId.size
  }
}

/** How a node turns (id, endpoint) into the Member it keeps: shared through a table, or a plain copy. */
export type Canon = (id: string, endpoint: string) => Member

export const plainMember: Canon = (id, endpoint) => ({ id, endpoint })

/**
 * A small-integer digest of an id (its length and last 8 characters), kept
 * beside ids in the small arrays a node scans (contacts, liveness): comparing
 * two integers in one array touches no other memory, while comparing two
 * strings reads both, and with a million simulated nodes nearly every such read
 * is a cache miss. Equal ids have equal tags; a tag match is then confirmed on
 * the strings.
 */
export function idTag(id: string): number {
  let h = id.length
  for (let i = Math.max(0, id.length - 8); i < id.length; i++) h = (Math.imul(h, 31) + id.charCodeAt(i)) | 0
  return h & 0x3fffffff // a small integer: stored unboxed
}
