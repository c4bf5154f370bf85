/**
 * The shard cell's storage organ: keeps chunks on this node's disk and
 * answers for them (docs/protocol.md §9.5). Placement, uploads and downloads
 * are driven by clients (src/client/storage-client.ts) from the member list this
 * cell's root serves, so any node can serve any file; manifests live with the
 * file managers (src/cells/files/).
 *
 * A chunk is accepted only by a node that ranks among its chosen holders
 * (rendezvous placement, with some slack for views that differ by a few
 * recent changes), so nobody can dump data on a node of their choice.
 */
import { join } from 'node:path'
import { BorgError } from '../../core/errors.js'
import { hexToBytes } from '../../core/bytes.js'
import type { Incoming } from '../../core/wire/message.js'
import { ANYONE, ownKey } from '../../core/messaging/router.js'
import type { Responder } from '../../core/wire/transport.js'
import { mayHold } from '../../core/storage/placement.js'
import { answerMembers, treeEpochOf } from '../../core/tree/member-list.js'
import { ownTreeMembers, type MemberView } from '../../core/tree/member-view.js'
import { RecheckBudget, type RecheckBudgetOptions } from '../../core/storage/recheck-budget.js'
import type { Member } from '../../core/tree/types.js'
import type { Organ, OrganContext, ServiceOffer } from '../../core/cell/types.js'
import { BORG_VERSION } from '../../core/version.js'
import { answerWhenReady } from '../../core/cell/answer.js'
import { ChunkStore } from './chunk-store.js'
import { MAX_BATCH_REPLY_BYTES, MAX_REPLICAS, PUT_OUTCOMES, SHARD_CODECS, SHARD_KIND, bodyName } from './messages.js'
import { ChunkKeeper, DEFAULT_KEEPER, type KeeperOptions } from './chunk-keeper.js'
import { fetchChunks } from './chunk-fetch.js'
import type { FetchItem } from '../../core/storage/audit-messages.js'
import { PinSet } from './pins.js'
import { openManifest, storedChunkLength } from '../../core/storage/manifest.js'
import { rankHolders } from '../../core/storage/placement.js'

const VERIFIED_TTL_MS = 10 * 60_000
/** Chunks a batch get reads from disk at once. */
const READ_AHEAD = 8
/** A repair naming a holder this node does not know refreshes its member list (if the tree changed since), at most this often. */
const UNKNOWN_HOLDER_REFRESH_MS = 1_000

export interface StorageOptions {
  quotaBytes: number
  keeper?: Partial<KeeperOptions>
  /** How many readers' corruption reports are checked (tests make it small). */
  recheck?: Partial<RecheckBudgetOptions>
}

export class StorageOrgan implements Organ {
  readonly name = 'storage'
  readonly chunks: ChunkStore
  readonly keeper: ChunkKeeper
  readonly pins: PinSet
  /** This node's view of the shard tree's members (what placement checks and repair pulls go by). */
  readonly members: MemberView
  private readonly recheck: RecheckBudget
  private opened: Promise<void> | undefined
  private readonly counters = { chunkPuts: 0, chunkGets: 0, batchPuts: 0, batchGets: 0, notChosen: 0, chunksFetched: 0, fetchSourcesRefused: 0, corruptReports: 0, corruptDropped: 0, corruptReportsBusy: 0 }

  constructor(
    private readonly ctx: OrganContext,
    options: StorageOptions,
  ) {
    if (!ctx.dataDir) throw new BorgError('usage', 'the shard cell needs a data directory')
    // Readers check every chunk themselves: a chunk hashed in the last 10 minutes is served without another pass.
    this.chunks = new ChunkStore({ dir: join(ctx.dataDir, 'store'), quotaBytes: options.quotaBytes, log: ctx.log, verifiedTtlMs: VERIFIED_TTL_MS })
    this.pins = new PinSet(ctx.dataDir, ctx.log)
    this.keeper = new ChunkKeeper(ctx, this.chunks, { ...DEFAULT_KEEPER, ...options.keeper }, (hash) => this.pins.holds(hash))
    // Its own tree: the roster when this node is the root, a deputy's replica, else from the root or the deputies.
    this.members = ownTreeMembers(ctx.transport, SHARD_KIND.members, ctx.tree, ctx.clock)
    this.recheck = new RecheckBudget(ctx.clock, options.recheck)
    for (const router of [ctx.net, ctx.receptor]) {
      router.on(SHARD_KIND.members, ANYONE, (m, r) => r && answerMembers(ctx.tree, m, r, () => this.members.current))
      router.on(SHARD_KIND.chunkPut, ANYONE, (m, r) => this.guard(r, () => this.onChunkPut(m, r!)))
      router.on(SHARD_KIND.chunkGet, ANYONE, (m, r) => this.guard(r, () => this.onChunkGet(m, r!)))
      router.on(SHARD_KIND.chunksPut, ANYONE, (m, r) => this.guard(r, () => this.onChunksPut(m, r!)))
      router.on(SHARD_KIND.chunksGet, ANYONE, (m, r) => this.guard(r, () => this.onChunksGet(m, r!)))
      router.on(SHARD_KIND.chunkHas, ANYONE, (m, r) => this.guard(r, () => this.onChunkHas(m, r!)))
      router.on(SHARD_KIND.chunkFetch, ANYONE, (m, r) => this.guard(r, () => this.onChunkFetch(m, r!)))
      router.on(SHARD_KIND.chunkCorrupt, ANYONE, (m, r) => this.guard(r, () => this.onChunkCorrupt(m, r!)))
    }
    ctx.receptor.on(SHARD_KIND.pin, ownKey(ctx.self.id), (m, r) => this.guard(r, () => this.onPin(m, r!)))
    ctx.receptor.on(SHARD_KIND.unpin, ownKey(ctx.self.id), (m, r) => this.guard(r, () => this.onUnpin(m, r!)))
  }

  start(): void {
    this.opened ??= Promise.all([this.chunks.open(), this.pins.open()]).then(() => undefined)
    this.opened.then(
      () => this.keeper.start(),
      (error) => this.ctx.log.error(`storage: cannot open the store: ${(error as Error).message}`),
    )
  }

  stop(): void {
    this.keeper.stop()
  }

  offers(): ServiceOffer {
    return { services: [{ name: 'storage', version: BORG_VERSION }], capacity: { storageFreeBytes: Math.max(0, this.chunks.quotaBytes - this.chunks.stats.usedBytes) } }
  }

  status(): Record<string, unknown> {
    return { ...this.chunks.stats, quotaBytes: this.chunks.quotaBytes, membersKnown: this.members.size, pinnedFiles: this.pins.count, ...this.counters, keeper: this.keeper.counters }
  }
  /** Every request waits for the store to be open; failures become signed errors, never crashes. */
  private guard(responder: Responder | undefined, task: () => Promise<void>): void {
    answerWhenReady(this.opened, responder, task, this.ctx.log, 'storage')
  }

  // ------------------------------------------------------------------ chunks

  /** Until the first member list arrives nothing can be checked; after, only chosen holders store. */
  private checkChosen(hash: string): void {
    const members = this.members.known((error) => this.ctx.log.debug(`storage: member list unavailable: ${error.message}`))
    if (members && members.size > 0 && !mayHold(hash, this.ctx.self.id, members, MAX_REPLICAS)) {
      this.counters.notChosen++
      throw new BorgError('refused', `this node is not among the chosen holders of chunk ${hash}`)
    }
  }

  private async onChunkPut(m: Incoming, r: Responder): Promise<void> {
    const bytes = SHARD_CODECS.chunkPut.decode(m)
    const hash = bodyName(m)
    this.checkChosen(hash)
    // The body was checked against its signed hash at the edge: its name needs no second hashing pass.
    const result = await this.chunks.put(hash, bytes, { verified: m.bodyHash !== undefined })
    this.keeper.touch(hash) // leased until the first audit vouches for it (or not)
    this.counters.chunkPuts++
    r.reply(SHARD_CODECS.chunkPutReply.encode({ hash, stored: result === 'stored', freeBytes: this.chunks.freeBytes }))
  }

  /**
   * Many chunks in one message: each was checked against its hash in the
   * signed index as it arrived; those this node is a chosen holder of are
   * stored as one group commit, and the reply (one outcome per chunk) is sent
   * only once they are all durable.
   */
  private async onChunksPut(m: Incoming, r: Responder): Promise<void> {
    const { parts } = SHARD_CODECS.chunksPut.decode(m)
    const results: (typeof PUT_OUTCOMES)[number][] = []
    const accepted: typeof parts = []
    const at: number[] = []
    for (const part of parts) {
      try {
        this.checkChosen(part.hash)
      } catch {
        results.push('refused')
        continue
      }
      at.push(results.length)
      results.push('stored')
      accepted.push(part)
    }
    const outcomes = await this.chunks.putMany(accepted)
    outcomes.forEach((outcome, k) => {
      results[at[k]!] = outcome
      if (outcome !== 'full') this.keeper.touch(accepted[k]!.hash) // leased until the first audit vouches for it
    })
    this.counters.batchPuts++
    this.counters.chunkPuts += accepted.length
    r.reply(SHARD_CODECS.chunksPutReply.encode({ results, freeBytes: this.chunks.freeBytes }))
  }

  /** The chunks asked for that are here, in request order, up to MAX_BATCH_REPLY_BYTES; the absent ones named. */
  private async onChunksGet(m: Incoming, r: Responder): Promise<void> {
    const { hashes } = SHARD_CODECS.chunksGet.decode(m)
    const parts: { hash: string; bytes: Uint8Array }[] = []
    const absent: number[] = []
    let bytes = 0
    // Read a few at a time, and no further than the reply's budget: the rest is neither sent nor
    // named absent, so the reader asks again.
    for (let start = 0; start < hashes.length && bytes < MAX_BATCH_REPLY_BYTES; start += READ_AHEAD) {
      const slice = hashes.slice(start, start + READ_AHEAD)
      const found = await Promise.all(slice.map((hash) => this.chunks.get(hash)))
      found.forEach((chunk, k) => {
        if (!chunk) return void absent.push(start + k)
        if (parts.length > 0 && bytes + chunk.length > MAX_BATCH_REPLY_BYTES) return
        bytes += chunk.length
        parts.push({ hash: slice[k]!, bytes: chunk })
      })
    }
    this.counters.batchGets++
    this.counters.chunkGets += parts.length
    // Verified on read (or within the verified TTL), so each part's name is its hash.
    r.reply(SHARD_CODECS.chunksGetReply.encode({ head: { absent }, parts }))
  }

  /**
   * Pull chunks from the holders named (a repair): each checked by hash and
   * length, stored if this node is a chosen holder. Only members of the shard
   * tree as this node knows them are asked, at the endpoints it knows them by
   * (ids pinned): the endpoints in the request are never connected to, so
   * nobody can make this node probe or call other addresses. What went wrong
   * with a pull is logged here; the asker gets a generic error per chunk.
   */
  private async onChunkFetch(m: Incoming, r: Responder): Promise<void> {
    const items = SHARD_CODECS.chunkFetch.decode(m).chunks
    for (const item of items) this.checkChosen(item.hash)
    const pinned = await this.pinSources(items)
    const unfetchable = pinned.filter((item) => item.from.length === 0)
    const outcome = await fetchChunks(
      this.ctx.transport,
      pinned.filter((item) => item.from.length > 0),
      async (hash, bytes) => {
        await this.chunks.put(hash, bytes, { verified: true }) // fetchChunks checked the hash
        this.keeper.touch(hash)
        this.counters.chunksFetched++
      },
    )
    for (const f of outcome.failed) this.ctx.log.debug(`storage: repair pull of ${f.hash.slice(0, 12)} for ${m.fromHex.slice(0, 12)} failed: ${f.error}`)
    if (unfetchable.length > 0) this.ctx.log.debug(`storage: repair pull for ${m.fromHex.slice(0, 12)}: ${unfetchable.length} chunk(s) name no holder this node knows`)
    const failed = [...outcome.failed.map((f) => f.hash), ...unfetchable.map((item) => item.hash)].map((hash) => ({ hash, error: 'not fetched' }))
    r.reply(SHARD_CODECS.chunkFetchReply.encode({ stored: outcome.stored, failed, freeBytes: this.chunks.freeBytes }))
  }

  /** Each item's holders replaced by the shard members this node knows under those ids (itself and strangers dropped). */
  private async pinSources(items: FetchItem[]): Promise<FetchItem[]> {
    const self = this.ctx.self.id
    const unknown = items.some((item) => item.from.some((h) => h.id !== self && !this.members.byId(h.id)))
    if (unknown && this.members.behind(treeEpochOf(this.ctx.tree)) && this.members.ageMs > UNKNOWN_HOLDER_REFRESH_MS) {
      // The tree changed since this node's list was fetched: the holder may have joined since. Look again.
      await this.members.refresh().catch(() => undefined)
    }
    return items.map((item) => {
      const from: Member[] = []
      for (const h of item.from) {
        if (h.id === self) continue
        const known = this.members.byId(h.id)
        if (!known) this.counters.fetchSourcesRefused++
        else if (!from.some((f) => f.id === known.id)) from.push(known)
      }
      return { ...item, from }
    })
  }

  /**
   * A reader got bytes for this chunk that do not match its name. The copy
   * here is hashed again (within the report budget) and dropped if it is
   * corrupt; a good copy is kept whatever the report says.
   */
  private async onChunkCorrupt(m: Incoming, r: Responder): Promise<void> {
    const { hash } = SHARD_CODECS.chunkCorrupt.decode(m)
    this.counters.corruptReports++
    const verdict = this.recheck.take(hash)
    if (verdict === 'busy') {
      this.counters.corruptReportsBusy++
      throw new BorgError('busy', 'too many corruption reports: try again later')
    }
    const held = await this.chunks.has(hash)
    const result = held && verdict === 'check' ? await this.chunks.recheck(hash) : held ? 'good' : 'absent'
    if (result === 'dropped') {
      this.counters.corruptDropped++
      this.ctx.log.warn(`storage: chunk ${hash.slice(0, 12)} reported corrupt by ${m.fromHex.slice(0, 12)}: it was, and is dropped`, 'corrupt-report')
    }
    r.reply(SHARD_CODECS.chunkCorruptReply.encode({ hash, held: result === 'good', dropped: result === 'dropped' }))
  }

  private async onChunkGet(m: Incoming, r: Responder): Promise<void> {
    const { hash } = SHARD_CODECS.chunkGet.decode(m)
    const bytes = await this.chunks.get(hash)
    if (!bytes) throw new BorgError('not-found', `chunk ${hash} is not here`)
    this.counters.chunkGets++
    // Verified on read, so its name is its hash: the envelope needs no second hashing pass.
    r.reply({ ...SHARD_CODECS.chunkGetReply.encode(bytes), bodyHash: hexToBytes(hash) })
  }

  private async onChunkHas(m: Incoming, r: Responder): Promise<void> {
    const { hashes, touch = [] } = SHARD_CODECS.chunkHas.decode(m)
    const have = await Promise.all(hashes.map((h) => this.chunks.has(h)))
    // An auditor vouches for the copies that belong here: their lease is renewed (indexes past the list name nothing).
    for (const k of touch) if (have[k]) this.keeper.touch(hashes[k]!)
    r.reply(SHARD_CODECS.chunkHasReply.encode({ have }))
  }

  // -------------------------------------------------------------------- pins

  /**
   * Pin a file here: the body is its manifest (verified). The pin is recorded
   * first, so nothing fetched is collected meanwhile; then every chunk not
   * yet here is pulled from its best-ranked holders. Chunks that could not be
   * fetched are reported; pinning again fetches the rest.
   */
  private async onPin(m: Incoming, r: Responder): Promise<void> {
    const manifest = openManifest(SHARD_CODECS.pin.decode(m))
    const unique = [...new Set(manifest.chunks)]
    await this.pins.pin(manifest.id, unique)
    const missing: string[] = []
    for (const hash of unique) if (!(await this.chunks.has(hash))) missing.push(hash)
    let fetched = 0
    let failed: { hash: string; error: string }[] = []
    if (missing.length > 0) {
      const members = (await this.members.list()).filter((member) => member.id !== this.ctx.self.id)
      const byId = new Map(members.map((member) => [member.id, member]))
      const length = new Map(manifest.chunks.map((hash, i) => [hash, storedChunkLength(manifest, i)]))
      const items = missing.map((hash) => ({ hash, length: length.get(hash)!, from: rankHolders(hash, byId.keys()).slice(0, 10).map((id) => byId.get(id)!) }))
      const outcome = await fetchChunks(this.ctx.transport, items.filter((item) => item.from.length > 0), async (hash, bytes) => {
        await this.chunks.put(hash, bytes, { verified: true })
        this.counters.chunksFetched++
      })
      fetched = outcome.stored.length
      failed = outcome.failed
    }
    if (failed.length > 0 || fetched < missing.length) this.ctx.log.warn(`pins: file ${manifest.id.slice(0, 12)}: ${missing.length - fetched} chunk(s) not fetched yet`, 'pin-partial')
    r.reply(SHARD_CODECS.pinReply.encode({ id: manifest.id, chunks: unique.length, had: unique.length - missing.length, fetched, missing: missing.length - fetched, failed: failed.slice(0, 5) }))
  }

  private async onUnpin(m: Incoming, r: Responder): Promise<void> {
    const { id } = SHARD_CODECS.unpin.decode(m)
    r.reply(SHARD_CODECS.unpinReply.encode({ id, unpinned: await this.pins.unpin(id) }))
  }
}
