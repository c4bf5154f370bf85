/**
 * Breadth-first position arithmetic. Positions start at 1 (the root) and fill
 * each level left to right; with m = maxChildren, the children of p are
 * (p-1)·m + 2 … p·m + 1 and parent(n) = ⌊(n-2)/m⌋ + 1.
 */
export function parentOf(position: number, maxChildren: number): number {
  if (position <= 1) throw new RangeError('the root has no parent')
  return Math.floor((position - 2) / maxChildren) + 1
}

export function firstChildOf(position: number, maxChildren: number): number {
  return (position - 1) * maxChildren + 2
}

/** Positions of p's children in a tree of `size` nodes. */
export function childrenOf(position: number, maxChildren: number, size: number): number[] {
  const first = firstChildOf(position, maxChildren)
  const last = Math.min(first + maxChildren - 1, size)
  const out: number[] = []
  for (let c = first; c <= last; c++) out.push(c)
  return out
}

/** Depth of a position: the root is 0. */
export function depthOf(position: number, maxChildren: number): number {
  let depth = 0
  for (let p = position; p > 1; p = parentOf(p, maxChildren)) depth++
  return depth
}

/** Is `descendant` in the subtree rooted at `ancestor` (inclusive)? */
export function isInSubtree(descendant: number, ancestor: number, maxChildren: number): boolean {
  for (let p = descendant; p >= ancestor; p = p === 1 ? 0 : parentOf(p, maxChildren)) {
    if (p === ancestor) return true
  }
  return false
}

/** The next hop from `from` towards `to` along tree edges. */
export function nextHop(from: number, to: number, maxChildren: number): number {
  if (from === to) return from
  if (!isInSubtree(to, from, maxChildren)) return parentOf(from, maxChildren)
  let p = to
  while (parentOf(p, maxChildren) !== from) p = parentOf(p, maxChildren)
  return p
}
