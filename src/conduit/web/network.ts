/**
 * The network pane: one cell type's tree over the nodes the conduit knows,
 * drawn from what each node's monitor says (position, parent, root, depth;
 * a node that stops answering leaves the picture), network time with its
 * error bound, the nodes with the conduit's scores and its last attempts
 * (failover shows here), and the live service registry.
 */
import { api } from './api.js'
import { h, byId, notice, short } from './dom.js'

interface TreeNode { node: string; state: string; position?: number; depth?: number; parent?: string; root?: string; treeSize?: number; children: string[]; current: boolean }
interface PoolNode { node: string; cells: string[]; latencyMs?: number; errors: number; pinned: boolean }
interface Attempt { node: string; ms: number; ok: boolean; error?: string; hedged?: boolean }
interface TimeView { node: string; offsetMs: number; boundMs: number | null; synced: boolean; source: string | null; stratum: number | null }

const SVG = 'http://www.w3.org/2000/svg'
let cellType = 'shard'

function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const el = document.createElementNS(SVG, tag)
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v))
  if (text !== undefined) el.textContent = text
  return el
}

/** Nodes laid out by depth (rows) and position (columns), edges to each node's parent. */
function drawTree(nodes: TreeNode[]): SVGElement {
  const placed = nodes.filter((n) => n.position !== undefined).sort((a, b) => a.position! - b.position!)
  const rows = new Map<number, TreeNode[]>()
  for (const n of placed) rows.set(n.depth ?? 0, [...(rows.get(n.depth ?? 0) ?? []), n])
  const widest = Math.max(1, ...[...rows.values()].map((r) => r.length))
  const width = Math.max(320, widest * 110)
  const height = Math.max(1, rows.size) * 80 + 20
  const at = new Map<string, { x: number; y: number }>()
  for (const [depth, row] of rows) row.forEach((n, i) => at.set(n.node, { x: ((i + 0.5) * width) / row.length, y: 40 + depth * 80 }))
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img', 'aria-label': `${cellType} tree`, 'data-testid': 'tree' })
  for (const n of placed) {
    const from = at.get(n.node)!
    const to = n.parent ? at.get(n.parent) : undefined
    if (to) root.append(svg('line', { x1: from.x, y1: from.y, x2: to.x, y2: to.y, class: 'edge' }))
  }
  for (const n of placed) {
    const p = at.get(n.node)!
    const g = svg('g', { class: `tree-node${n.current ? ' current' : ''}${n.position === 1 ? ' root' : ''}`, 'data-node': n.node, 'data-testid': 'tree-node' })
    g.append(svg('circle', { cx: p.x, cy: p.y, r: 18 }), svg('text', { x: p.x, y: p.y + 4, 'text-anchor': 'middle' }, String(n.position)), svg('text', { x: p.x, y: p.y + 34, 'text-anchor': 'middle', class: 'label' }, short(n.node, 8)))
    g.append(svg('title', {}, `${n.node}\nposition ${n.position}, depth ${n.depth}${n.position === 1 ? ' (root)' : ''}\n${n.state}, tree of ${n.treeSize ?? '?'}`))
    root.append(g)
  }
  return root
}

async function refresh(): Promise<void> {
  const out = byId('network-status')
  try {
    const [tree, network, time] = await Promise.all([
      api<{ nodes: TreeNode[]; current?: string }>(`network/tree?type=${cellType}`),
      api<{ nodes: PoolNode[]; attempts: Attempt[]; registry: { nodes: number; error?: string } | null }>('network'),
      api<TimeView>('network/time').catch(() => undefined),
    ])
    const types = [...new Set(network.nodes.flatMap((n) => n.cells))].filter((t) => t !== '*').sort()
    const select = byId<HTMLSelectElement>('tree-type')
    if (select.options.length !== types.length) select.replaceChildren(...types.map((t) => h('option', { value: t, selected: t === cellType }, t)))
    const root = tree.nodes.find((n) => n.position === 1)
    const deepest = Math.max(0, ...tree.nodes.map((n) => n.depth ?? 0))
    byId('tree-view').replaceChildren(drawTree(tree.nodes), h('p', { class: 'muted', 'data-testid': 'tree-summary' },
      `${tree.nodes.length} nodes answering; root ${root ? short(root.node) : 'not among them'}; depth ${deepest}; this conduit uses ${tree.current ? short(tree.current) : 'none'}`))
    byId('time-view').replaceChildren(time
      ? h('p', { 'data-testid': 'network-time' }, `network time ${new Date(Date.now() + time.offsetMs).toISOString().slice(11, 23)} · offset ${time.offsetMs.toFixed(1)} ms · bound ${time.boundMs === null ? 'not synced yet' : `±${time.boundMs.toFixed(1)} ms`} · stratum ${time.stratum ?? '–'}`)
      : h('p', { class: 'muted' }, 'network time: no crono cell answering'))
    byId('pool-view').replaceChildren(...network.nodes.map((n) => h('tr', { 'data-testid': 'pool-node', 'data-node': n.node },
      h('td', {}, h('code', {}, short(n.node, 16))), h('td', {}, n.cells.join(' ')), h('td', { class: 'num' }, n.latencyMs === undefined ? '–' : `${n.latencyMs} ms`), h('td', { class: 'num' }, String(n.errors)))))
    byId('attempts-view').replaceChildren(...network.attempts.slice(-8).reverse().map((a) => h('li', { class: a.ok ? '' : 'error' }, `${short(a.node, 10)} ${a.ms} ms ${a.ok ? 'ok' : `failed: ${a.error ?? ''}`}${a.hedged ? ' (hedged)' : ''}`)))
    out.replaceChildren(network.registry?.error ? notice(`registry: ${network.registry.error}`) : '')
  } catch (err) {
    out.replaceChildren(notice((err as Error).message))
  }
}

export function startNetwork(): () => Promise<void> {
  const select = h('select', { id: 'tree-type', 'aria-label': 'cell type', onchange: () => { cellType = select.value; void refresh() } }, h('option', { value: 'shard' }, 'shard'))
  byId('network-body').replaceChildren(
    h('div', { class: 'row' }, h('label', {}, 'Tree of ', select)),
    h('div', { id: 'tree-view', class: 'tree' }),
    h('div', { id: 'time-view' }),
    h('div', { id: 'network-status' }),
    h('h3', {}, 'Nodes the conduit uses'),
    h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Node'), h('th', {}, 'Cells'), h('th', {}, 'Latency'), h('th', {}, 'Errors'))), h('tbody', { id: 'pool-view' })),
    h('h3', {}, 'Last requests'),
    h('ul', { id: 'attempts-view', class: 'attempts' }),
  )
  return refresh
}
