/**
 * Organism nodes in the test's own process, over real HTTPS on 127.0.0.1,
 * each with a temporary home and ports picked by the OS (so test files running
 * side by side never collide); `stopAll` stops them and removes the homes.
 *
 * The trees run on the product's timing (1 s heartbeats), not a faster one:
 * every node of the organism shares this one process, and a busy machine
 * delays all of them at once. With 200 ms heartbeats (400 ms request timeout,
 * 1 s before a joiner founds its own tree) those delays alone split the trees
 * (see test/helpers/README.md).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OrganismNode } from '../../src/core/node/organism-node.js'
import { OS_ASSIGNED_PORTS } from '../../src/core/node/cell-instance.js'
import { shardCell } from '../../src/cells/shard/index.js'
import { filesCell } from '../../src/cells/files/index.js'
import { StorageClient } from '../../src/client/storage-client.js'
import type { StorageOrgan } from '../../src/cells/shard/storage-organ.js'
import type { ManifestOrgan } from '../../src/cells/files/manifest-organ.js'
import type { CellType } from '../../src/core/cell/types.js'
import type { Transport } from '../../src/core/wire/transport.js'
import type { TreeConfig } from '../../src/core/tree/config.js'
import { cryptoRandom } from '../../src/core/crypto/random.js'
import { waitUntil } from './wait-until.js'

const cellOf = (node: OrganismNode, name: string) => {
  const cell = node.cells.find((c) => c.name === name)
  if (!cell) throw new Error(`node ${node.nodeId.slice(0, 12)} runs no ${name} cell`)
  return cell
}

/** A node's shard-cell storage organ. */
export const storageOf = (node: OrganismNode) => cellOf(node, 'shard').organs[0] as StorageOrgan
/** A node's file-manager organ. */
export const managerOf = (node: OrganismNode) => cellOf(node, 'files').organs[0] as ManifestOrgan

/** A storage client that enters the network at `node` (its shard cell and file manager); `now` signs its manifests and removals. */
export function clientAt(node: OrganismNode, transport: Transport, now: () => number = Date.now): StorageClient {
  return new StorageClient({ transport, shards: { endpoint: cellOf(node, 'shard').endpoints.recp }, files: { endpoint: cellOf(node, 'files').endpoints.recp }, random: cryptoRandom, now })
}

export function organismNodes(homePrefix: string, cells: CellType[] = [shardCell, filesCell], options: { tree?: Partial<TreeConfig> } = {}) {
  const homes: string[] = []
  const nodes: OrganismNode[] = []
  return {
    nodes,
    /** Each node's home, in the order of `nodes`. */
    homes,
    /** A node that joins through `contacts` (any endpoint of another node; none: it founds the trees). */
    async start(contacts: string[]): Promise<OrganismNode> {
      const home = await mkdtemp(join(tmpdir(), homePrefix))
      homes.push(home)
      const node = await OrganismNode.start({ home, cells, contacts, portBase: OS_ASSIGNED_PORTS, bindHost: '127.0.0.1', advertiseHost: '127.0.0.1', tree: options.tree, contactWaitMs: 30_000 })
      nodes.push(node)
      return node
    },
    /** Wait until each cell type's instances on every node form one tree of `size`. */
    async formed(size = nodes.length, timeoutMs = 60_000): Promise<void> {
      const views = () => nodes.map((n) => n.cells.map((c) => ({ cell: c.name, tree: c.tree.status().treeId?.slice(0, 8), size: c.tree.status().treeSize })))
      const oneTree = (all: ReturnType<typeof views>) => all.every((cells) => cells.every((v, i) => v.size === size && v.tree === all[0]![i]!.tree))
      await waitUntil(`the cells of ${nodes.length} nodes to form one tree of ${size} per cell type`, views, oneTree, { timeoutMs })
    },
    async stopAll(): Promise<void> {
      await Promise.all(nodes.map((n) => n.stop().catch(() => {})))
      // A node still starting when a test gave up may write into its home a moment longer.
      await Promise.all(homes.map((h) => rm(h, { recursive: true, force: true, maxRetries: 5 })))
    },
  }
}
