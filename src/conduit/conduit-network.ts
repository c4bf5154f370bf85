/**
 * How the conduit reaches the network (docs/conduit.md "Failover"): one
 * signed HTTPS transport as this home's node key, the node it starts from
 * (the one running from this home, or --node), and the live registry read
 * every few seconds from whichever listed node answers, feeding the
 * endpoint pool. Storage, ledger and records clients are made per cell the
 * pool picks; the tree view reads the monitors of the nodes the pool knows.
 */
import { BorgError } from '../core/errors.js'
import type { Logger } from '../core/log.js'
import { HttpsTransport } from '../core/net/https-transport.js'
import { request } from '../core/messaging/requests.js'
import { NODE_CODECS } from '../core/node/messages.js'
import { readRunning } from '../core/node/running-file.js'
import { loadOrCreateNodeKey } from '../core/identity/node-key.js'
import { nodeSigner } from '../core/identity/signer.js'
import { cryptoRandom } from '../core/crypto/random.js'
import { depthOf } from '../core/tree/position.js'
import type { Exchange } from '../core/node/local-client.js'
import { services, type RecordsPeer } from '../client/records-client.js'
import { StorageClient } from '../client/storage-client.js'
import { LedgerClient } from '../client/ledger-client.js'
import { ANY, EndpointPool, type CellEndpoint, type PoolClock, realClock } from './endpoint-pool.js'

/** How often the registry is read again. */
export const REGISTRY_REFRESH_MS = 3_000
/** Nodes whose trees the network pane draws at most. */
export const MAX_TREE_NODES = 32
const REQUEST_TIMEOUT_MS = 10_000
/** A monitor that takes longer than this is drawn as not answering. */
const STATUS_TIMEOUT_MS = 2_500

export interface TreeNode {
  node: string
  state: string
  position?: number
  depth?: number
  parent?: string
  root?: string
  treeSize?: number
  children: string[]
  current: boolean
}

export interface ConduitNetworkOptions {
  home: string
  /** HOST:PORT of any port of a node to start from instead of the node running from `home`. */
  node?: string
  log: Logger
  clock?: PoolClock
}

interface CellStatus {
  name: string
  state: string
  position?: number
  treeSize?: number
  maxChildren: number
  root?: { id: string }
  parent?: { id: string }
  children: { id: string; position: number }[]
  organs?: Record<string, unknown>
}

export class ConduitNetwork {
  readonly pool: EndpointPool
  /** Monitor endpoints per node, from its directory (asked once per node). */
  private readonly monitors = new Map<string, Map<string, string>>()
  private readonly ledgers = new Map<string, LedgerClient>()
  private timer?: NodeJS.Timeout
  private refreshing?: Promise<void>
  lastRefresh?: { at: number; from?: string; nodes: number; error?: string }
  /** The node running from the conduit's own home (its key is the conduit's): the one it may pin on. */
  ownNode?: string

  private constructor(
    readonly transport: HttpsTransport,
    private readonly options: ConduitNetworkOptions,
  ) {
    this.pool = new EndpointPool(options.clock ?? realClock)
  }

  static async open(options: ConduitNetworkOptions): Promise<ConduitNetwork> {
    const transport = new HttpsTransport({ signer: nodeSigner(await loadOrCreateNodeKey(options.home)), log: options.log, timeoutMs: REQUEST_TIMEOUT_MS })
    const network = new ConduitNetwork(transport, options)
    await network.pinStart().catch((error: unknown) => options.log.warn(`conduit: no node to start from yet: ${(error as Error).message}`))
    await network.refresh()
    network.timer = setInterval(() => void network.refresh(), REGISTRY_REFRESH_MS)
    network.timer.unref()
    return network
  }

  /** The node to start from: its cells' receptors and monitors, kept in the pool whatever the registry says. */
  private async pinStart(): Promise<void> {
    if (this.options.node) {
      const directory = NODE_CODECS.directoryReply.decode(await request(this.transport, { endpoint: this.options.node }, NODE_CODECS.directory.encode({}), REQUEST_TIMEOUT_MS))
      this.pool.pin(directory.nodeId, Object.entries(directory.cells).map(([type, c]) => ({ type, recp: c.recp })))
      this.monitors.set(directory.nodeId, new Map(Object.entries(directory.cells).map(([type, c]) => [type, c.mon])))
      return
    }
    const running = await readRunning(this.options.home)
    this.ownNode = running.nodeId
    this.pool.pin(running.nodeId, Object.entries(running.cells).map(([type, c]) => ({ type, recp: c.recp })))
    this.monitors.set(running.nodeId, new Map(Object.entries(running.cells).map(([type, c]) => [type, c.mon])))
  }

  /** A node's receptor as a records peer (records.* are answered on every router). */
  recordsPeer(cell: CellEndpoint): RecordsPeer {
    return {
      ask: async <Q, A>(exchange: Exchange<Q, A>, value: Q): Promise<A> => exchange.reply.decode(await request(this.transport, { endpoint: cell.endpoint, id: cell.node }, exchange.request.encode(value), REQUEST_TIMEOUT_MS)),
    }
  }

  /** Read the live registry from the best node that answers and hand it to the pool. */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        if (this.pool.ranked(ANY).length === 0) await this.pinStart()
        const { entries, from } = await this.pool.read(ANY, async (cell) => ({ entries: await services(this.recordsPeer(cell)), from: cell.node }))
        this.pool.update(entries.map((e) => ({ node: e.node, cells: e.cells.map((c) => ({ type: c.type, recp: c.recp })) })))
        this.lastRefresh = { at: Date.now(), from, nodes: entries.length }
      } catch (error) {
        this.lastRefresh = { at: Date.now(), nodes: this.pool.list().length, error: (error as Error).message }
      } finally {
        this.refreshing = undefined
      }
    })()
    return this.refreshing
  }

  /** The registry as last read (each live node: its cells and services). */
  registry(): Promise<Awaited<ReturnType<typeof services>>> {
    return this.pool.read(ANY, (cell) => services(this.recordsPeer(cell)))
  }

  /** A storage client entering the network at `cell`'s node (its shard and file-manager cells). */
  storageAt(cell: CellEndpoint): StorageClient {
    const files = this.pool.cellOf(cell.node, 'files')
    if (!files) throw new BorgError('unavailable', `node ${cell.node.slice(0, 16)}… runs no file manager`)
    return new StorageClient({ transport: this.transport, shards: { endpoint: cell.endpoint, id: cell.node }, files: { endpoint: files, id: cell.node }, random: cryptoRandom, now: () => Date.now() })
  }

  /** A ledger client entering the network at `cell` (one per cell: it keeps the committee it checked). */
  ledgerAt(cell: CellEndpoint): LedgerClient {
    let client = this.ledgers.get(cell.endpoint)
    if (!client) {
      client = new LedgerClient({ transport: this.transport, entry: { endpoint: cell.endpoint, id: cell.node } })
      this.ledgers.set(cell.endpoint, client)
    }
    return client
  }

  private async monitorsOf(node: string, anyRecp: string): Promise<Map<string, string>> {
    let known = this.monitors.get(node)
    if (!known) {
      const directory = NODE_CODECS.directoryReply.decode(await request(this.transport, { endpoint: anyRecp, id: node }, NODE_CODECS.directory.encode({}), STATUS_TIMEOUT_MS))
      known = new Map(Object.entries(directory.cells).map(([type, c]) => [type, c.mon]))
      this.monitors.set(node, known)
    }
    return known
  }

  /** One cell's status (its tree position, organs) on one node, from its monitor. */
  private async statusOf(node: string, anyRecp: string, type: string): Promise<CellStatus | undefined> {
    const mon = (await this.monitorsOf(node, anyRecp)).get(type)
    if (!mon) return undefined
    let timer: NodeJS.Timeout | undefined
    try {
      return await Promise.race([
        this.transport.client.getJson<CellStatus>(mon, '/status', node),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new BorgError('timeout', 'monitor too slow')), STATUS_TIMEOUT_MS))),
      ])
    } catch (error) {
      this.monitors.delete(node) // a node restarted on other ports is asked for its directory again
      throw error
    } finally {
      clearTimeout(timer)
    }
  }

  /**
   * The tree of cell type `type` over the nodes the pool knows (at most 32): each node's position,
   * parent, children, root and depth as its own monitor reports them. A node that does not answer is
   * left out (that is how a dead node leaves the picture).
   */
  async tree(type: string): Promise<{ type: string; nodes: TreeNode[]; current?: string }> {
    const cells = this.pool.ranked(type).slice(0, MAX_TREE_NODES)
    const current = cells[0]?.node
    const answers = await Promise.all(
      cells.map(async (cell): Promise<TreeNode | undefined> => {
        const status = await this.statusOf(cell.node, cell.endpoint, type).catch(() => undefined)
        if (!status) return undefined
        return {
          node: cell.node,
          state: status.state,
          position: status.position,
          depth: status.position === undefined ? undefined : depthOf(status.position, status.maxChildren),
          parent: status.parent?.id,
          root: status.root?.id,
          treeSize: status.treeSize,
          children: status.children.map((c) => c.id),
          current: cell.node === current,
        }
      }),
    )
    return { type, nodes: answers.filter((n): n is TreeNode => n !== undefined), ...(current ? { current } : {}) }
  }

  /** Network time as the best crono cell reports it: offset from this machine's clock, error bound, source. */
  async time(): Promise<unknown> {
    return this.pool.read('crono', async (cell) => {
      const status = await this.statusOf(cell.node, cell.endpoint, 'crono')
      const time = status?.organs?.time
      if (typeof time !== 'object' || time === null) throw new BorgError('bad-reply', 'the crono cell reported no time status')
      return { node: cell.node, ...(time as Record<string, unknown>) }
    })
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    await this.transport.close()
  }
}
