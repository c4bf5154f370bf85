/**
 * Organism nodes in the test's own process, over real HTTPS on 127.0.0.1,
 * each with a temporary home; `stopAll` stops them and removes the homes.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OrganismNode } from '../../src/core/node/organism-node.js'
import { shardCell } from '../../src/cells/shard/index.js'
import type { CellType } from '../../src/cells/types.js'

export function organismNodes(homePrefix: string, cells: CellType[] = [shardCell]) {
  const homes: string[] = []
  const nodes: OrganismNode[] = []
  return {
    nodes,
    async start(portBase: number, contacts: string[]): Promise<OrganismNode> {
      const home = await mkdtemp(join(tmpdir(), homePrefix))
      homes.push(home)
      const node = await OrganismNode.start({ home, cells, contacts, portBase, bindHost: '127.0.0.1', advertiseHost: '127.0.0.1', tree: { heartbeatMs: 200 }, contactWaitMs: 5000 })
      nodes.push(node)
      return node
    },
    async stopAll(): Promise<void> {
      await Promise.all(nodes.map((n) => n.stop().catch(() => {})))
      await Promise.all(homes.map((h) => rm(h, { recursive: true, force: true })))
    },
  }
}
