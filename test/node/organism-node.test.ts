import { afterAll, describe, expect, it } from 'vitest'
import { organismNodes } from '../helpers/organism-nodes.js'

const organism = organismNodes('borg-node-')
const start = organism.start
afterAll(() => organism.stopAll())

describe('organism nodes in one process over real HTTPS', () => {
  it('three nodes form one shard tree', async () => {
    const base = 15_000 + 100 * Math.floor(Math.random() * 20) // ports stay below the ephemeral range (32768+)
    const a = await start(base, [])
    const b = await start(base + 100, [a.cells[0]!.endpoints.net])
    const c = await start(base + 200, [b.cells[0]!.endpoints.recp])
    const deadline = Date.now() + 15_000
    while (Date.now() < deadline) {
      const sizes = [a, b, c].map((n) => n.cells[0]!.tree.status().treeSize)
      if (sizes.every((s) => s === 3) && [a, b, c].filter((n) => n.cells[0]!.tree.state === 'root').length === 1) break
      await new Promise((r) => setTimeout(r, 200))
    }
    const states = [a, b, c].map((n) => n.cells[0]!.tree.status())
    expect(states.map((s) => s.treeSize)).toEqual([3, 3, 3])
    expect(states.filter((s) => s.state === 'root')).toHaveLength(1)
    expect(new Set(states.map((s) => s.position))).toEqual(new Set([1, 2, 3]))
  }, 30_000)
})
