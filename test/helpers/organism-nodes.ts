/**
 * Organism nodes in the test's own process, over real HTTPS on 127.0.0.1,
 * each with a temporary home; `stopAll` stops them and removes the homes.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OrganismNode } from '../../src/core/node/organism-node.js'
import { shardCell } from '../../src/cells/shard/index.js'
import { filesCell } from '../../src/cells/files/index.js'
import { StorageClient } from '../../src/cells/shard/client.js'
import type { StorageOrgan } from '../../src/cells/shard/storage-organ.js'
import type { ManifestOrgan } from '../../src/cells/files/manifest-organ.js'
import type { CellType } from '../../src/cells/types.js'
import type { Transport } from '../../src/core/wire/transport.js'
import { cryptoRandom } from '../../src/core/wire/random.js'

const cellOf = (node: OrganismNode, name: string) => {
  const cell = node.cells.find((c) => c.name === name)
  if (!cell) throw new Error(`node ${node.nodeId.slice(0, 12)} runs no ${name} cell`)
  return cell
}

/** A node's shard-cell storage organ. */
export const storageOf = (node: OrganismNode) => cellOf(node, 'shard').organs[0] as StorageOrgan
/** A node's file-manager organ. */
export const managerOf = (node: OrganismNode) => cellOf(node, 'files').organs[0] as ManifestOrgan

/** A storage client that enters the network at `node` (its shard cell and file manager). */
export function clientAt(node: OrganismNode, transport: Transport): StorageClient {
  return new StorageClient({ transport, shards: { endpoint: cellOf(node, 'shard').endpoints.recp }, files: { endpoint: cellOf(node, 'files').endpoints.recp }, random: cryptoRandom, now: Date.now })
}

export function organismNodes(homePrefix: string, cells: CellType[] = [shardCell, filesCell]) {
  const homes: string[] = []
  const nodes: OrganismNode[] = []
  return {
    nodes,
    /** Each node's home, in the order of `nodes`. */
    homes,
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
