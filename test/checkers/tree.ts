/**
 * The structural invariants a converged organism must satisfy, checked from
 * the outside (tests, the simulator script). Each violation is one line of text.
 */
import { childrenOf, parentOf } from '../../src/core/tree/position.js'
import type { TreeNode } from '../../src/core/tree/tree-node.js'

export interface ObservedNode {
  id: string
  tree: TreeNode
}

/**
 * `components`: the live nodes grouped by who can reach whom (one group when
 * the network is whole). Per component: exactly one root; positions 1..N held
 * by exactly the component's nodes; every view agrees with the root's roster
 * and with position arithmetic (which also makes every node reachable from the
 * root along parent links).
 */
export function checkTreeInvariants(components: ObservedNode[][], maxChildren: number): string[] {
  const problems: string[] = []
  for (const [index, component] of components.entries()) {
    const label = `component ${index} (${component.length} nodes)`
    const roots = component.filter((n) => n.tree.state === 'root')
    const joining = component.filter((n) => n.tree.state !== 'root' && n.tree.state !== 'member')
    if (joining.length > 0) problems.push(`${label}: ${joining.length} nodes not in a tree (${joining[0]!.tree.state})`)
    if (roots.length !== 1) {
      problems.push(`${label}: ${roots.length} roots`)
      continue
    }
    const root = roots[0]!.tree
    const roster = root.roster!
    const ids = new Set(component.map((n) => n.id))
    if (roster.size !== component.length) problems.push(`${label}: roster has ${roster.size} positions for ${component.length} live nodes`)
    for (let p = 1; p <= roster.size; p++) {
      const id = roster.at(p)!.id
      if (!ids.has(id)) problems.push(`${label}: position ${p} is held by ${id.slice(0, 10)}, which is not a live node here`)
    }
    for (const node of component) {
      const view = node.tree.view
      const position = roster.positionOf(node.id)
      if (!view || position === undefined) {
        problems.push(`${label}: node ${node.id.slice(0, 10)} has no position (state ${node.tree.state})`)
        continue
      }
      if (view.treeId !== roster.treeId) problems.push(`${label}: node ${node.id.slice(0, 10)} is in tree ${view.treeId.slice(0, 8)}, the root's is ${roster.treeId.slice(0, 8)}`)
      if (view.position !== position) problems.push(`${label}: node ${node.id.slice(0, 10)} thinks it is at ${view.position}, the roster says ${position}`)
      const parent = position > 1 ? roster.at(parentOf(position, maxChildren))!.id : undefined
      if (view.parent?.id !== parent) problems.push(`${label}: position ${position} has parent ${view.parent?.id.slice(0, 10)}, expected ${parent?.slice(0, 10)}`)
      // Compared in place (a million nodes: no strings built unless something differs).
      const positions = childrenOf(position, maxChildren, roster.size)
      let same = positions.length === view.children.length
      for (let i = 0; same && i < positions.length; i++) same = roster.at(positions[i]!)!.id === view.children[i]!.id
      if (same) continue
      const expected = positions.map((c) => roster.at(c)!.id)
      const actual = view.children.map((c) => c.id)
      if (expected.join() !== actual.join()) problems.push(`${label}: position ${position} has children [${actual.length}] expected [${expected.length}] (${actual.map((a) => a.slice(0, 6)).join(',')} vs ${expected.map((a) => a.slice(0, 6)).join(',')})`)
    }
  }
  return problems
}
