/**
 * What a cell type is: its DNA, its receptor API and its organs. A node hosts
 * one instance of each cell type it runs; each cell type forms its own tree.
 * Adding a cell type touches src/cells/<name>/ and one line in registry.ts.
 */
import type { Logger } from '../log.js'
import type { PlainGetHandler } from './plain-http.js'
import type { AdjustableClock } from '../wire/clock.js'
import type { Random } from '../wire/random.js'
import type { MessageRouter } from '../messaging/router.js'
import type { Transport } from '../wire/transport.js'
import type { Delivery, TreeStanding } from '../tree/tree-node.js'
import type { Member } from '../tree/types.js'
import type { AnyCodec } from '../codec/codec.js'
import type { Notary } from '../wire/notary.js'
import type { CollectionPolicy } from '../records/collection.js'
import type { CollectionStore } from '../records/collection-store.js'

export interface CellDna {
  name: string
  /** Node-to-node traffic: tree membership and the cell's own node-to-node kinds. */
  netPort: number
  /** The receptor: the cell's API for clients (signed requests). */
  recpPort: number
  /** Read-only status and metrics (HTTPS GET). */
  monPort: number
  maxChildren: number
}

/** What an organ gets to work with. Everything is injected: organs run in the simulator too. */
export interface OrganContext {
  cell: string
  dna: CellDna
  /** Where this node stands in the cell's tree, read-only: organs never move nodes. */
  tree: TreeStanding
  /** Register node-to-node message kinds (namespaced `<cell>.`). */
  net: MessageRouter
  /** Register receptor kinds (client requests). */
  receptor: MessageRouter
  /** Send node-to-node messages. */
  transport: Transport
  /** The node's network clock; the crono cell is the one that sets its offset. */
  clock: AdjustableClock
  random: Random
  log: Logger
  self: Member
  /** Signs with this node's key (whose id is `self.id`), for documents that outlive a message: a ledger vote. */
  notary: Notary
  /** A directory of its own when the node has a data directory. */
  dataDir?: string
  /** Receive tree broadcasts and routed messages of one kind. */
  onDelivery(kind: string, handler: (delivery: Delivery) => void): void
  /** Endpoints of the other cells this node runs, by cell name (a file manager finds its node's shard cell). */
  siblings(): Readonly<Record<string, CellEndpoints>>
  /**
   * Serve plain HTTPS GET and HEAD requests under a path prefix on the cell's
   * receptor port (for players and browsers, which speak no envelopes). The
   * handler must end every response it is given.
   */
  httpGet(prefix: string, handler: PlainGetHandler): void
  /**
   * The node's record collections (docs/records.md): open one under a policy and use its set; the
   * node stores, serves and syncs it with the other nodes that hold it.
   */
  records: RecordCollections
}

export interface RecordCollections {
  open(policy: CollectionPolicy): Promise<CollectionStore>
}

export interface CellEndpoints {
  net: string
  recp: string
  mon: string
}

export interface Organ {
  readonly name: string
  start(): void
  stop(): void
  /** Shown in `borg node status`; must hold no secrets. */
  status?(): Record<string, unknown>
  /** What this organ offers, for the node's service record (docs/records.md): named services and capacity hints. */
  offers?(): ServiceOffer
}

export interface ServiceOffer {
  services?: { name: string; version: string }[]
  capacity?: { storageFreeBytes?: number; ledgerRepresentative?: boolean }
}

export interface CellType {
  dna: CellDna
  /** One line for `borg node status` and docs. */
  summary: string
  organs(context: OrganContext): Organ[]
  /**
   * The codec of every message kind this cell's organs send or answer
   * (requests and replies; its messages.ts), so tests can hold each kind to
   * its properties and check that no handled kind lacks one.
   */
  codecs: Readonly<Record<string, AnyCodec>>
}
