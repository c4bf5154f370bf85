/** Shapes shared by the tree protocol (docs/protocol.md §6 describes them on the wire). */

/** A node as the tree knows it: its node id (hex key id) and where to reach it. */
export interface Member {
  id: string
  endpoint: string
}

export interface Placed extends Member {
  position: number
}

/**
 * Epochs order every decision of the roots of one tree. `term` grows when the
 * root changes (failover, or a new tree); `seq` grows with each roster change
 * under one root. Compared lexicographically.
 */
export interface Epoch {
  term: number
  seq: number
}

export function compareEpoch(a: Epoch, b: Epoch): number {
  return a.term !== b.term ? a.term - b.term : a.seq - b.seq
}

/** Everything a node needs to know about its place in the tree, as the root assigned it. */
export interface View {
  treeId: string
  epoch: Epoch
  position: number
  size: number
  root: Member
  parent?: Member
  children: Placed[]
  /** Nodes holding a replica of the root's roster (positions 2 … 1+D). */
  deputies: Placed[]
  last: Placed
}

export type NodeState = 'joining' | 'member' | 'root' | 'stopped'
