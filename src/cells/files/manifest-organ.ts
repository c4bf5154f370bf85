/**
 * The file-manager cell's organ: keeps manifests (what files are made of)
 * and removals on this node's disk, answers for them (docs/protocol.md §9.5)
 * and runs the steward that keeps manifests and chunks replicated.
 *
 * It finds shard cells through its own node (the sibling shard cell) or,
 * when this node runs none, through another file manager's node directory.
 */
import { BorgError } from '../../core/errors.js'
import { NODE_CODECS } from '../../core/node/messages.js'
import type { Incoming } from '../../core/wire/message.js'
import { ANYONE } from '../../core/messaging/router.js'
import type { Peer, Responder } from '../../core/wire/transport.js'
import { request } from '../../core/messaging/requests.js'
import { openRemoval } from '../../core/storage/removal.js'
import { answerMembers, fetchMemberList } from '../../core/tree/member-list.js'
import { MemberView, ownTreeMembers } from '../../core/tree/member-view.js'
import type { Member } from '../../core/tree/types.js'
import type { Organ, OrganContext } from '../../core/cell/types.js'
import { answerWhenReady } from '../../core/cell/answer.js'
import { ManifestStore } from './manifest-store.js'
import { FILES_CODECS, FILES_KIND } from './messages.js'
import { DEFAULT_STEWARD, FileSteward, type StewardOptions } from './file-steward.js'

const SHARD_MEMBERS = 'shard.members'
/** An audit works from a shard member list at most this old (placement by a newer list may have put chunks on a newcomer). */
const SHARD_LIST_FRESH_MS = 2_000

export interface ManifestOrganOptions {
  steward?: Partial<StewardOptions>
  /** Disk the manifests may take (default: unbounded). */
  quotaBytes?: number
}

export class ManifestOrgan implements Organ {
  readonly name = 'manifests'
  readonly manifests: ManifestStore
  readonly steward: FileSteward
  private readonly fileManagers: MemberView
  /** This file manager's view of the shard tree (watched for departures). */
  readonly shardCells: MemberView
  /** The shard cell asked for the shard members (found once, looked for again after a failure). */
  private shardPeer?: Peer
  private opened: Promise<void> | undefined
  private readonly counters = { puts: 0, gets: 0, removals: 0, refusedRemovals: 0, refusedRemoved: 0 }

  constructor(
    private readonly ctx: OrganContext,
    options: ManifestOrganOptions = {},
  ) {
    if (!ctx.dataDir) throw new BorgError('usage', 'the file-manager cell needs a data directory')
    this.manifests = new ManifestStore(ctx.dataDir, ctx.log, options.quotaBytes)
    // Its own tree: the roster when this node is the root, a deputy's replica, else from the root or the deputies.
    this.fileManagers = ownTreeMembers(ctx.transport, FILES_KIND.members, ctx.tree, ctx.clock)
    this.shardCells = new MemberView({
      fetch: async (since) => {
        const entry = (this.shardPeer ??= await this.shardEntry())
        try {
          return await fetchMemberList(ctx.transport, SHARD_MEMBERS, entry, { since })
        } catch (error) {
          this.shardPeer = undefined
          throw error
        }
      },
      clock: ctx.clock,
    })
    this.steward = new FileSteward(
      ctx,
      this.manifests,
      {
        files: () => this.fileManagers.list(),
        // A list a few seconds old at most (a cheap check while the tree is unchanged), or the whole list fetched now.
        shards: (fresh) =>
          (fresh ? this.fullShardList() : this.shardCells.refreshIfOlder(SHARD_LIST_FRESH_MS))
            .then(() => this.shardCells.list())
            .catch((error: Error) => (this.ctx.log.debug(`manifests: no shard members: ${error.message}`), undefined)),
        shardChanges: () => this.shardCells.refresh(),
        fileChanges: () => this.fileManagers.refresh(),
      },
      { ...DEFAULT_STEWARD, ...options.steward },
    )
    for (const router of [ctx.net, ctx.receptor]) {
      router.on(FILES_KIND.members, ANYONE, (m, r) => r && answerMembers(ctx.tree, m, r, () => this.fileManagers.current))
      router.on(FILES_KIND.put, ANYONE, (m, r) => this.guard(r, () => this.onPut(m, r!)))
      router.on(FILES_KIND.get, ANYONE, (m, r) => this.guard(r, () => this.onGet(m, r!)))
      router.on(FILES_KIND.has, ANYONE, (m, r) => this.guard(r, () => this.onHas(m, r!)))
      router.on(FILES_KIND.list, ANYONE, (m, r) => this.guard(r, () => this.onList(m, r!)))
      router.on(FILES_KIND.rm, ANYONE, (m, r) => this.guard(r, () => this.onRm(m, r!)))
      router.on(FILES_KIND.audit, ANYONE, (m, r) => {
        if (r) return this.guard(r, () => this.onAudit(m, r))
        // One-way (a reader's "I just read this"): audit in the background.
        void (this.opened ?? Promise.resolve())
          .then(() => this.steward.auditId(FILES_CODECS.audit.decode(m).id))
          .catch((error) => this.ctx.log.debug(`manifests: audit after a read failed: ${(error as Error).message}`))
      })
    }
  }

  start(): void {
    this.opened ??= this.manifests.open()
    this.opened.then(
      () => this.steward.start(),
      (error) => this.ctx.log.error(`manifests: cannot open the store: ${(error as Error).message}`),
    )
  }

  stop(): void {
    this.steward.stop()
  }

  status(): Record<string, unknown> {
    return { manifests: this.manifests.count, usedBytes: this.manifests.usedBytes, quotaBytes: this.manifests.quotaBytes, removalsKept: this.manifests.removalCount, fileManagersKnown: this.fileManagers.size, shardCellsKnown: this.shardCells.size, ...this.counters, steward: this.steward.counters }
  }

  private lastFullShardList = -Infinity

  /** The whole shard member list fetched now, not more often than every SHARD_LIST_FRESH_MS (many audits of lost chunks ask). */
  private async fullShardList(): Promise<void> {
    if (this.ctx.clock.monotonic() - this.lastFullShardList < SHARD_LIST_FRESH_MS) return
    this.lastFullShardList = this.ctx.clock.monotonic()
    await this.shardCells.refresh({ full: true }).catch(() => undefined)
  }

  /** A shard cell to ask for the shard members: this node's own, else one on another file manager's node. */
  private async shardEntry(): Promise<Peer> {
    const own = this.ctx.siblings().shard
    if (own) return { endpoint: own.net }
    const members: Member[] = await this.fileManagers.list()
    for (const m of members.slice(0, 8)) {
      if (m.id === this.ctx.self.id) continue
      try {
        const { cells } = NODE_CODECS.directoryReply.decode(await request(this.ctx.transport, m, NODE_CODECS.directory.encode({}), 5_000))
        const net = cells.shard?.net
        if (net) return { endpoint: net }
      } catch {
        // try the next one
      }
    }
    throw new BorgError('unavailable', 'no shard cell found on this node or the file managers asked')
  }

  /** Every request waits for the store to be open; failures become signed errors, never crashes. */
  private guard(responder: Responder | undefined, task: () => Promise<void>): void {
    answerWhenReady(this.opened, responder, task, this.ctx.log, 'manifests')
  }

  private async onPut(m: Incoming, r: Responder): Promise<void> {
    const { manifest, stored, removed } = await this.manifests.put(FILES_CODECS.put.decode(m))
    if (removed) {
      this.counters.refusedRemoved++
      throw new BorgError('refused', `file ${manifest.id} was removed by its owner`)
    }
    if (manifest.expires !== undefined && manifest.expires < this.ctx.clock.now() && stored) {
      await this.manifests.remove(manifest.id)
      throw new BorgError('invalid-input', `file ${manifest.id} has already expired`)
    }
    this.counters.puts++
    r.reply(FILES_CODECS.putReply.encode({ id: manifest.id, stored }))
  }

  private async onGet(m: Incoming, r: Responder): Promise<void> {
    const { id } = FILES_CODECS.get.decode(m)
    const manifest = await this.manifests.get(id)
    if (!manifest) throw new BorgError('not-found', `no manifest for file ${id} here`)
    this.counters.gets++
    r.reply(FILES_CODECS.getReply.encode(manifest.bytes))
  }

  /** Which of these files are kept here; for removed ones, the owner's removal (base64). */
  private async onHas(m: Incoming, r: Responder): Promise<void> {
    const { ids } = FILES_CODECS.has.decode(m)
    const removals: Record<string, string> = {}
    for (const id of ids) {
      const removal = this.manifests.removalOf(id)
      if (removal) removals[id] = Buffer.from(removal.bytes).toString('base64')
    }
    r.reply(FILES_CODECS.hasReply.encode({ have: ids.map((id) => this.manifests.ownerOf(id) !== undefined), removals }))
  }

  private async onList(m: Incoming, r: Responder): Promise<void> {
    const { owner } = FILES_CODECS.list.decode(m)
    r.reply(FILES_CODECS.listReply.encode({ ids: this.manifests.idsOf(owner) }))
  }

  /** Audit one file now (a reader asks after every get: every read is an audit). */
  private async onAudit(m: Incoming, r: Responder): Promise<void> {
    const { id } = FILES_CODECS.audit.decode(m)
    const result = await this.steward.auditId(id)
    if (!result) throw new BorgError('not-found', `no manifest for file ${id} here`)
    r.reply(FILES_CODECS.auditReply.encode(result))
  }

  /** The body is the owner's signed removal: only a removal signed by the file's owner removes it. */
  private async onRm(m: Incoming, r: Responder): Promise<void> {
    const removal = openRemoval(FILES_CODECS.rm.decode(m))
    const outcome = await this.manifests.applyRemoval(removal)
    if (outcome === 'refused') {
      this.counters.refusedRemovals++
      this.ctx.log.warn(`manifests: refused removal of ${removal.id} signed by ${removal.owner.slice(0, 12)}, not its owner`, 'rm-refused')
      throw new BorgError('refused', `only the owner of file ${removal.id} may remove it`)
    }
    if (outcome === 'removed') this.counters.removals++
    r.reply(FILES_CODECS.rmReply.encode({ id: removal.id, removed: outcome === 'removed' }))
  }
}
