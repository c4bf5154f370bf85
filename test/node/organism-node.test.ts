import { afterAll, describe, expect, it } from 'vitest'
import { organismNodes } from '../helpers/organism-nodes.js'
import { OS_ASSIGNED_PORTS } from '../../src/core/node/cell-instance.js'
import { readRunning } from '../../src/core/node/running-file.js'

const organism = organismNodes('borg-node-')
const start = organism.start
afterAll(() => organism.stopAll())

describe('organism nodes in one process over real HTTPS', () => {
  it('three nodes on OS-assigned ports form one shard tree, each advertising the ports it really got', async () => {
    const a = await start([])
    const b = await start([a.cells[0]!.endpoints.net])
    const c = await start([b.cells[0]!.endpoints.recp])
    await organism.formed(3)
    const states = [a, b, c].map((n) => n.cells[0]!.tree.status())
    expect(states.filter((s) => s.state === 'root')).toHaveLength(1)
    expect(new Set(states.map((s) => s.position))).toEqual(new Set([1, 2, 3]))
    // Every member is known by the endpoint its node listens on, and the running file says the same.
    for (const [i, node] of [a, b, c].entries()) {
      const cell = node.cells[0]!
      expect(states.map((s) => s.endpoint)[i]).toBe(cell.endpoints.net)
      expect(Number(cell.endpoints.net.split(':')[1])).toBeGreaterThan(0)
      const running = await readRunning(organism.homes[i]!)
      expect(running.portBase).toBe(OS_ASSIGNED_PORTS)
      expect(running.cells.shard).toEqual(cell.endpoints)
    }
    expect(new Set([a, b, c].flatMap((n) => n.cells.flatMap((cell) => Object.values(cell.endpoints)))).size).toBe(3 * 2 * 3)
  }, 90_000)
})
