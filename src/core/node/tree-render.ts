/** The tree as text: one line per node, indented along parent links. */
import { childrenOf } from '../tree/position.js'

export interface TreeSnapshot {
  cell: string
  treeId: string
  epoch: { term: number; seq: number }
  maxChildren: number
  size: number
  members: { position: number; id: string; endpoint: string }[]
}

export interface RenderedLine {
  text: string
  position: number
  id: string
}

export function renderTree(tree: TreeSnapshot, options: { limit?: number; highlight?: string } = {}): { header: string; lines: RenderedLine[]; omitted: number } {
  const limit = options.limit ?? 200
  const byPosition = new Map(tree.members.map((m) => [m.position, m]))
  const lines: RenderedLine[] = []
  const walk = (position: number, prefix: string, last: boolean, root: boolean) => {
    if (lines.length >= limit) return
    const m = byPosition.get(position)
    if (!m) return
    const branch = root ? '' : last ? '└─ ' : '├─ '
    const mark = options.highlight === m.id ? '  ← this node' : ''
    lines.push({ text: `${prefix}${branch}${position} ${m.id.slice(0, 12)}… ${m.endpoint}${mark}`, position, id: m.id })
    const kids = childrenOf(position, tree.maxChildren, tree.size)
    kids.forEach((c, i) => walk(c, root ? '' : prefix + (last ? '   ' : '│  '), i === kids.length - 1, false))
  }
  walk(1, '', true, true)
  return {
    header: `${tree.cell} tree ${tree.treeId.slice(0, 8)}: ${tree.size} nodes, maxChildren ${tree.maxChildren}, epoch ${tree.epoch.term}.${tree.epoch.seq}`,
    lines,
    omitted: Math.max(0, tree.size - lines.length),
  }
}
