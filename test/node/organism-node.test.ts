import { afterAll, describe, expect, it } from 'vitest'
import { organismNodes } from '../helpers/organism-nodes.js'
import { OS_ASSIGNED_PORTS } from '../../src/core/node/cell-instance.js'
import { readRunning } from '../../src/core/node/running-file.js'
import { waitUntil } from '../helpers/wait-until.js'
import { startClient } from '../helpers/wire.js'
import { ping } from '../../src/core/node/ping.js'
import { withLocalNode } from '../../src/core/node/local-client.js'
import { CONTROL } from '../../src/core/node/organism-node.js'
import { SystemClock } from '../../src/core/time/system-clock.js'

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

  it('node send to a position the tree does not have is refused, naming the size; an existing one is sent', async () => {
    await organism.formed(3)
    const home = organism.homes[1]!
    const send = (position: number) => withLocalNode(home, (node) => node.control<{ queued: number }>(CONTROL.send, { cell: 'shard', text: 'hi', position }, 'shard'))
    await expect(send(5)).rejects.toMatchObject({ code: 'not-found', message: expect.stringContaining('position 5 does not exist: the shard tree has 3 members') })
    await expect(send(3)).resolves.toMatchObject({ queued: expect.any(Number) })
  }, 30_000)

  it('answers wire.ping on every envelope port of every cell (net and receptor), as the node', async () => {
    const node = organism.nodes[0]!
    const client = startClient()
    try {
      for (const cell of node.cells) {
        for (const endpoint of [cell.endpoints.net, cell.endpoints.recp]) {
          const result = await ping(client.transport, { endpoint, id: node.nodeId }, new SystemClock(), 1)
          expect({ cell: cell.name, endpoint, peer: result.peer, from: result.pong.from }).toEqual({ cell: cell.name, endpoint, peer: node.nodeId, from: client.id })
        }
      }
    } finally {
      await client.transport.close()
    }
  }, 30_000)
})

/** Keep this process's event loop busy `busyMs` of every `periodMs` (as if other programs took half the CPU). */
function starve(busyMs: number, periodMs: number): () => void {
  const timer = setInterval(() => {
    const end = performance.now() + busyMs
    while (performance.now() < end);
  }, periodMs - busyMs)
  return () => clearInterval(timer)
}

// Every in-process node shares this one event loop, so a busy machine delays all of them at once.
// With 200 ms heartbeats (what these tests used to run) this splits the trees: each node founds its own.
describe('an in-process organism on a starved process', () => {
  const starved = organismNodes('borg-starved-')
  afterAll(() => starved.stopAll())

  it('forms one tree per cell and keeps it while the event loop gets half of the time', async () => {
    const stop = starve(100, 200)
    try {
      const a = await starved.start([])
      for (let i = 0; i < 2; i++) await starved.start([a.cells[0]!.endpoints.net])
      await starved.formed(3, 90_000)
      const trees = () => starved.nodes.map((n) => n.cells.map((c) => `${c.name} ${c.tree.status().treeId?.slice(0, 8)} size ${c.tree.status().treeSize}`))
      const formed = trees()
      // Watched for five seconds, the trees stay as they were: nobody is dropped, nobody founds a tree of its own.
      const started = Date.now()
      const watched = await waitUntil('five seconds of watching the trees', trees, (now) => JSON.stringify(now) !== JSON.stringify(formed) || Date.now() - started > 5_000, { timeoutMs: 30_000, stepMs: 200 })
      expect(watched.value).toEqual(formed)
    } finally {
      stop()
    }
  }, 150_000)
})
