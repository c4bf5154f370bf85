/**
 * peerset.DB's sync, re-implemented for comparison only (anchors.md §F.1,
 * §F.3): a positional binary Merkle tree over the sorted ids (odd node
 * promoted, parent = SHA-256(left ‖ right)), every node knowing the ids
 * beneath it; two peers compare roots, then ask for the child hashes at each
 * path whose hashes differ, and each answer carries the children's hashes and
 * their full id lists. One insertion shifts every leaf to its right, so
 * almost every subtree differs.
 */
import { createHash } from 'node:crypto'

interface TreeNode {
  hash: Buffer
  /** Leaf positions beneath: [lo, hi) of the sorted ids. */
  lo: number
  hi: number
  children?: [TreeNode, TreeNode]
}

function build(ids: Buffer[]): TreeNode | undefined {
  if (ids.length === 0) return undefined
  let level: TreeNode[] = ids.map((id, i) => ({ hash: id, lo: i, hi: i + 1 }))
  while (level.length > 1) {
    const next: TreeNode[] = []
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i]!
      const right = level[i + 1]
      if (!right) {
        next.push(left) // odd node promoted
        continue
      }
      next.push({ hash: createHash('sha256').update(left.hash).update(right.hash).digest(), lo: left.lo, hi: right.hi, children: [left, right] })
    }
    level = next
  }
  return level[0]
}

export interface PositionalCost {
  messages: number
  bytes: number
  rounds: number
}

/** The cost for `a` to learn what `b` holds that it lacks (ids of 32 bytes, hashes of 32, paths as text). */
export function positionalSync(a: Buffer[], b: Buffer[]): PositionalCost {
  const sortedA = [...a].sort(Buffer.compare)
  const sortedB = [...b].sort(Buffer.compare)
  const rootA = build(sortedA)
  const rootB = build(sortedB)
  const cost: PositionalCost = { messages: 2, bytes: 64, rounds: 1 } // each side sends its root
  if (rootA && rootB && rootA.hash.equals(rootB.hash)) return cost
  let frontier: { path: string; mine?: TreeNode; theirs?: TreeNode }[] = [{ path: '', mine: rootA, theirs: rootB }]
  while (frontier.length > 0) {
    cost.rounds++
    const next: typeof frontier = []
    for (const { path, mine, theirs } of frontier) {
      // A asks B for the subtree at `path`; B answers with each child's hash and full id list.
      cost.messages += 2
      cost.bytes += path.length + 8
      const kids = theirs?.children ?? (theirs ? [theirs] : [])
      for (const kid of kids) cost.bytes += 32 + 32 * (kid.hi - kid.lo)
      if (!theirs?.children || !mine?.children) continue // at a leaf on either side: the id lists say what is missing
      theirs.children.forEach((kid, i) => {
        const own = mine.children![i]
        if (!own || !own.hash.equals(kid.hash)) next.push({ path: `${path}${path ? '.' : ''}${i === 0 ? 'left' : 'right'}`, mine: own, theirs: kid })
      })
    }
    frontier = next
  }
  return cost
}
