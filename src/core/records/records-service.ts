/**
 * A node's collections (docs/records.md): open them, answer the `records.*`
 * kinds on every envelope port, and reconcile each with a few tree
 * neighbours every sync interval (and at once when asked, e.g. after a
 * reconnect). Cells and the node itself use collections through
 * `collection()` without knowing about the network. Every resource is
 * bounded: collections per node, records per collection and per author
 * (the policy), records per message, round trips per reconciliation.
 */
import { mkdir } from 'node:fs/promises'
import { BorgError } from '../errors.js'
import { bytesToHex, hexToBytes } from '../bytes.js'
import type { Logger } from '../log.js'
import { request } from '../messaging/requests.js'
import { ANYONE, ownKey, type MessageRouter } from '../messaging/router.js'
import { Periodic } from '../time/periodic.js'
import type { Clock, Timer } from '../wire/clock.js'
import type { Incoming } from '../wire/message.js'
import type { Random } from '../wire/random.js'
import type { Peer, Responder, Transport } from '../wire/transport.js'
import { policy as makePolicy, type CollectionPolicy } from './collection.js'
import { MODERATION, moderationBlocks, moderationPolicy } from './moderation.js'
import type { UnsignedRecord } from './record.js'
import { CollectionStore } from './collection-store.js'
import { MAX_LIST, RECORDS_CODECS, RECORDS_KIND } from './messages.js'
import { answerReconcile, syncWith, SYNC_BATCH, type SyncPeer, type SyncStats } from './sync.js'

/** Fresh records are pushed to the neighbours this long after they were stored (many share one message). */
const EAGER_PUSH_MS = 100
/** Without neighbours yet, an eager push is tried again this often, this many times. */
const LONELY_RETRY_MS = 250
const MAX_LONELY_PUSHES = 120
/** Most fresh records waiting for an eager push per collection. */
const MAX_FRESH = 1000
/** How often the neighbour set is compared with the last one (a new neighbour is synced with at once). */
const NEIGHBOUR_CHECK_MS = 1000
/** Registry nodes holding a collection reconciled with per round, beside the tree neighbours. */
const EXTRA_HOLDERS = 2
/** Most collections one node holds (each is a file and a set in memory). */
export const MAX_COLLECTIONS = 64
const REQUEST_TIMEOUT_MS = 15_000

export interface RecordsServiceOptions {
  /** Where the collections' logs live (`<home>/node/records`). */
  dir: string
  nodeId: string
  clock: Clock
  random: Random
  transport: Transport
  log: Logger
  /** Peers to reconcile with: this node's tree neighbours (any cell's net endpoint answers `records.*`). */
  neighbours: () => Peer[]
  /**
   * Moderator keys (key id hex) this node follows (BORG_RECORDS_MODERATORS): their records in the
   * `moderation` collection block authors and record ids in the collections they name.
   */
  moderators?: readonly string[]
  /** Other nodes known to hold a collection (from the service registry): reached beyond the tree neighbours. */
  holdersOf?: (collection: string) => Peer[]
  /** Between two sync rounds, ms (BORG_RECORDS_SYNC_MS; default 10 s). */
  syncEveryMs?: number
  /** Neighbours reconciled with per round. */
  fanout?: number
}

export interface SyncReport extends SyncStats {
  collection: string
  peer: string
}

export class RecordsService {
  private readonly stores = new Map<string, CollectionStore>()
  private readonly opening = new Map<string, Promise<CollectionStore>>()
  private rounds?: Periodic
  private readonly syncEveryMs: number
  /** Records stored since the last eager push, per collection (ids). */
  private readonly fresh = new Map<string, Set<string>>()
  private pushTimer?: Timer
  private watcher?: Periodic
  private knownNeighbours = new Set<string>()
  private lonelyPushes = 0
  private closed = false

  constructor(private readonly options: RecordsServiceOptions) {
    this.syncEveryMs = options.syncEveryMs ?? 10_000
  }

  private nowSeconds(): number {
    return Math.floor(this.options.clock.now() / 1000)
  }

  /** Open (once) a collection under `policy`; later calls with the same name get the same one. */
  async open(policy: CollectionPolicy): Promise<CollectionStore> {
    const known = this.stores.get(policy.name) ?? (await this.opening.get(policy.name))
    if (known) return known
    if (this.stores.size + this.opening.size >= MAX_COLLECTIONS) throw new BorgError('refused', `this node holds ${MAX_COLLECTIONS} collections (its bound)`)
    const opening = (async () => {
      await mkdir(this.options.dir, { recursive: true })
      const store = await CollectionStore.open(this.options.dir, policy, this.nowSeconds())
      this.stores.set(policy.name, store)
      store.onStored((offered) => this.queuePush(policy.name, offered.id))
      if (policy.name === MODERATION) {
        store.onStored((offered) => this.applyModeration(store.set.get(offered.id)?.record))
        for (const held of store.set.list()) this.applyModeration(held.record)
      } else {
        const moderation = this.stores.get(MODERATION)
        for (const held of moderation?.set.list() ?? []) this.applyModeration(held.record, policy.name)
      }
      return store
    })().finally(() => this.opening.delete(policy.name))
    this.opening.set(policy.name, opening)
    return opening
  }

  /** Open the `moderation` collection when this node follows moderators (before the others, so their blocks apply as they open). */
  async openModeration(): Promise<void> {
    const moderators = this.options.moderators ?? []
    if (moderators.length === 0) return
    await this.open(moderationPolicy(moderators))
  }

  /** A followed moderator's blocks, applied to the collection they name (or only to `only`). */
  private applyModeration(record: UnsignedRecord | undefined, only?: string): void {
    if (!record || record.kind !== 'record') return
    const blocks = moderationBlocks(record)
    if (!blocks || (only !== undefined && blocks.collection !== only)) return
    const target = this.stores.get(blocks.collection)
    if (!target) return
    for (const author of blocks.blockAuthors ?? []) target.set.blockAuthor(author)
    for (const id of blocks.blockIds ?? []) target.set.blockId(id)
  }

  collection(name: string): CollectionStore | undefined {
    return this.stores.get(name)
  }

  collections(): CollectionStore[] {
    return [...this.stores.values()]
  }

  /**
   * The `records.*` kinds on a router (every envelope port of the node registers them). All are
   * open to anyone: what they serve is signed and public by design, and a push is checked record by
   * record against the collection's rules before anything is stored.
   */
  register(router: MessageRouter, options: { control?: boolean } = {}): void {
    const guard = (r: Responder | undefined, work: () => Promise<void>) => {
      if (!r) return
      work().catch((error: Error) => r.fail(error instanceof BorgError ? error.code : 'internal', error.message))
    }
    router.on(RECORDS_KIND.reconcile, ANYONE, (m, r) => guard(r, async () => this.onReconcile(m, r!)))
    router.on(RECORDS_KIND.fetch, ANYONE, (m, r) => guard(r, async () => this.onFetch(m, r!)))
    router.on(RECORDS_KIND.push, ANYONE, (m, r) => guard(r, () => this.onPush(m, r!)))
    router.on(RECORDS_KIND.list, ANYONE, (m, r) => guard(r, async () => this.onList(m, r!)))
    // One reconciliation now with a peer the node's own commands name (`borg records sync --with`).
    if (options.control) router.on(RECORDS_KIND.sync, ownKey(this.options.nodeId), (m, r) => guard(r, () => this.onSync(m, r!)))
    router.on(RECORDS_KIND.collections, ANYONE, (_m, r) =>
      guard(r, async () => r!.reply(RECORDS_CODECS.collectionsReply.encode({ collections: this.collections().map((c) => ({ name: c.name, records: c.set.size, retentionSeconds: c.set.policy.retentionSeconds })) }))),
    )
  }

  private async onSync(m: Incoming, r: Responder): Promise<void> {
    const { peer, collection } = RECORDS_CODECS.sync.decode(m)
    const stores = collection ? [this.held(collection)] : this.collections()
    const reports: SyncReport[] = []
    const errors: { collection: string; code: string; error: string }[] = []
    for (const store of stores) {
      try {
        reports.push(await this.syncWith(store.name, { endpoint: peer }))
      } catch (error) {
        errors.push({ collection: store.name, code: error instanceof BorgError ? error.code : 'internal', error: (error as Error).message })
      }
    }
    r.reply(RECORDS_CODECS.syncReply.encode({ reports, errors }))
  }

  private held(name: string): CollectionStore {
    const store = this.stores.get(name)
    if (!store) throw new BorgError('not-found', `this node holds no collection ${name}`)
    return store
  }

  private onReconcile(m: Incoming, r: Responder): void {
    const { collection, message } = RECORDS_CODECS.reconcile.decode(m)
    const store = this.held(collection)
    let answer: Uint8Array
    try {
      answer = answerReconcile(store.set, hexToBytes(message))
    } catch (error) {
      throw new BorgError('malformed', `negentropy message: ${(error as Error).message}`)
    }
    r.reply(RECORDS_CODECS.reconcileReply.encode({ message: bytesToHex(answer) }))
  }

  private onFetch(m: Incoming, r: Responder): void {
    const { collection, ids } = RECORDS_CODECS.fetch.decode(m)
    const store = this.held(collection)
    const records = ids.map((id) => store.set.get(id)?.bytes).filter((b): b is Uint8Array => b !== undefined)
    r.reply(RECORDS_CODECS.fetchReply.encode({ records: records.map(bytesToHex) }))
  }

  private async onPush(m: Incoming, r: Responder): Promise<void> {
    const { collection, records } = RECORDS_CODECS.push.decode(m)
    // The node's own commands may start a collection here (default policy); others write only into held ones.
    let store = this.stores.get(collection)
    if (!store && m.fromHex === this.options.nodeId) store = await this.open(makePolicy(collection))
    if (!store) throw new BorgError('not-found', `this node holds no collection ${collection}`)
    const results = await store.put(records.map(hexToBytes), this.nowSeconds())
    r.reply(
      RECORDS_CODECS.pushReply.encode({
        results: results.map((x) => (x instanceof Error ? { outcome: 'refused' as const, code: x instanceof BorgError ? x.code : 'internal', error: x.message } : { outcome: x.outcome, id: x.id })),
      }),
    )
  }

  private onList(m: Incoming, r: Responder): void {
    const q = RECORDS_CODECS.list.decode(m)
    const store = this.held(q.collection)
    let records = store.set.list({ author: q.author, since: q.since, deletions: q.deletions })
    if (q.after) {
      const at = records.findIndex((h) => bytesToHex(h.id) === q.after)
      records = at >= 0 ? records.slice(at + 1) : records
    }
    const limit = Math.min(q.limit ?? MAX_LIST, MAX_LIST)
    r.reply(RECORDS_CODECS.listReply.encode({ records: records.slice(0, limit).map((h) => bytesToHex(h.bytes)), more: records.length > limit }))
  }

  // ---------------------------------------------------------------- sync

  /**
   * Gossip: a record this node just stored goes to all its tree neighbours at once (batched for
   * EAGER_PUSH_MS); one that already has it answers `known` and pushes no further. The periodic
   * reconciliation repairs whatever a push missed.
   */
  private queuePush(collection: string, id: string): void {
    let ids = this.fresh.get(collection)
    if (!ids) this.fresh.set(collection, (ids = new Set()))
    if (ids.size >= MAX_FRESH) return // beyond this, reconciliation carries them
    ids.add(id)
    this.pushTimer ??= this.options.clock.after(EAGER_PUSH_MS, () => {
      this.pushTimer = undefined
      void this.pushFresh()
    })
  }

  private async pushFresh(): Promise<void> {
    if (this.closed) return
    const neighbours = unique(this.options.neighbours())
    if (neighbours.length === 0) {
      // Not in a tree yet (a node publishes as it starts): try again shortly, for a while.
      if (++this.lonelyPushes <= MAX_LONELY_PUSHES) this.pushTimer ??= this.options.clock.after(LONELY_RETRY_MS, () => ((this.pushTimer = undefined), void this.pushFresh()))
      else this.fresh.clear() // reconciliation carries them once there are neighbours
      return
    }
    this.lonelyPushes = 0
    const batches = [...this.fresh].map(([collection, ids]) => ({ collection, ids: [...ids] }))
    this.fresh.clear()
    for (const { collection, ids } of batches) {
      const store = this.stores.get(collection)
      if (!store) continue
      const records = ids.map((id) => store.set.get(id)?.bytes).filter((b): b is Uint8Array => b !== undefined)
      const peers = unique([...neighbours, ...this.pick(this.options.holdersOf?.(collection) ?? [], EXTRA_HOLDERS)])
      for (let i = 0; i < records.length; i += SYNC_BATCH) {
        const batch = records.slice(i, i + SYNC_BATCH)
        await Promise.all(peers.map((peer) => this.peer(peer, collection).push(batch).catch(() => undefined)))
      }
    }
  }

  /** A peer's `records.*` kinds as the sync code's peer. */
  peer(peer: Peer, collection: string): SyncPeer {
    const t = this.options.transport
    return {
      reconcile: async (message) => hexToBytes(RECORDS_CODECS.reconcileReply.decode(await request(t, peer, RECORDS_CODECS.reconcile.encode({ collection, message: bytesToHex(message) }), REQUEST_TIMEOUT_MS)).message),
      fetch: async (ids) => RECORDS_CODECS.fetchReply.decode(await request(t, peer, RECORDS_CODECS.fetch.encode({ collection, ids: ids.map(bytesToHex) }), REQUEST_TIMEOUT_MS)).records.map(hexToBytes),
      push: async (records) => {
        RECORDS_CODECS.pushReply.decode(await request(t, peer, RECORDS_CODECS.push.encode({ collection, records: records.map(bytesToHex) }), REQUEST_TIMEOUT_MS))
      },
    }
  }

  /** Reconcile one collection with one peer: what each lacks moves across, through this node's rules and the peer's. */
  async syncWith(collection: string, peer: Peer): Promise<SyncReport> {
    const store = this.held(collection)
    // Fetched records go through the store (checked, then on disk) as pushed ones do.
    const accept = async (records: Uint8Array[]) => (await store.put(records, this.nowSeconds())).filter((x) => x instanceof Error).length
    const stats = await syncWith(store.set, this.peer(peer, collection), () => this.nowSeconds(), { accept })
    return { ...stats, collection, peer: peer.endpoint }
  }

  /** One round: every held collection with up to `fanout` neighbours (random ones); failures are logged, not thrown. */
  async syncRound(): Promise<SyncReport[]> {
    const reports: SyncReport[] = []
    const neighbours = this.pick(this.options.neighbours(), this.options.fanout ?? 3)
    for (const store of this.collections()) {
      await store.gc(this.nowSeconds())
      // Holders that are not tree neighbours too, so a collection few nodes hold still converges.
      const peers = unique([...neighbours, ...this.pick(this.options.holdersOf?.(store.name) ?? [], EXTRA_HOLDERS)])
      for (const peer of peers) {
        try {
          reports.push(await this.syncWith(store.name, peer))
        } catch (error) {
          const code = (error as BorgError).code
          if (code !== 'not-found') this.options.log.debug(`records: sync of ${store.name} with ${peer.endpoint}: ${(error as Error).message}`)
        }
      }
    }
    return reports
  }

  private pick(peers: Peer[], n: number): Peer[] {
    const shuffled = unique(peers)
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = this.options.random.int(i + 1)
      ;[shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!]
    }
    return shuffled.slice(0, n)
  }

  /**
   * A neighbour this node did not have a second ago (it joined, or the tree healed around a loss):
   * reconcile every collection with it now rather than at the next round.
   */
  private async greetNewNeighbours(): Promise<void> {
    const current = unique(this.options.neighbours())
    const fresh = current.filter((p) => !this.knownNeighbours.has(p.endpoint))
    this.knownNeighbours = new Set(current.map((p) => p.endpoint))
    for (const peer of fresh) {
      for (const store of this.collections()) {
        await this.syncWith(store.name, peer).catch((error: Error) => this.options.log.debug(`records: first sync of ${store.name} with ${peer.endpoint}: ${error.message}`))
      }
    }
  }

  start(): void {
    this.watcher ??= new Periodic({ clock: this.options.clock, everyMs: NEIGHBOUR_CHECK_MS, run: () => this.greetNewNeighbours(), onError: () => undefined })
    this.watcher.start()
    this.rounds ??= new Periodic({
      clock: this.options.clock,
      everyMs: this.syncEveryMs,
      jitter: { random: this.options.random, fraction: 0.2 },
      run: async () => void (await this.syncRound()),
      onError: (error) => this.options.log.warn(`records: sync round: ${error.message}`),
    })
    this.rounds.start()
  }

  async close(): Promise<void> {
    this.closed = true
    this.watcher?.stop()
    this.pushTimer?.cancel()
    this.rounds?.stop()
    await Promise.all(this.collections().map((c) => c.close()))
  }
}

function unique(peers: Peer[]): Peer[] {
  return [...new Map(peers.map((p) => [p.endpoint, p])).values()]
}
