/**
 * The shard cell's storage organ: keeps chunks and manifests on this node's
 * disk and answers for them (docs/protocol.md §10). Placement, uploads and
 * downloads are driven by clients (src/cells/shard/client.ts) from the member
 * list this organ serves, so any node can serve any file.
 *
 * A chunk is accepted only by a node that ranks among its chosen holders
 * (rendezvous placement, with some slack for views that differ by a few
 * recent changes), so nobody can dump data on a node of their choice.
 */
import { join } from 'node:path'
import { BorgError } from '../../core/errors.js'
import { hexToBytes } from '../../core/bytes.js'
import { binaryMessage, jsonMessage, type Incoming } from '../../core/wire/message.js'
import type { Peer, Responder, Transport } from '../../core/wire/transport.js'
import { request } from '../../core/wire/transport.js'
import { mayHold } from '../../core/storage/placement.js'
import type { Member } from '../../core/tree/types.js'
import type { Organ, OrganContext } from '../types.js'
import { ChunkStore } from './chunk-store.js'
import { isSha256Hex } from '../../core/storage/names.js'
import { isKeyIdHex } from '../../core/crypto/key-id.js'
import { ManifestStore, checkFileId } from './manifest-store.js'
import { MAX_HAS, SHARD_KIND, bodyName, readObject } from './messages.js'
import { DEFAULT_STEWARD, Steward, type StewardOptions } from './steward.js'

/** Most replicas a file may ask for; a holder accepts chunks it ranks within this (plus slack) for. */
export const MAX_REPLICAS = 8
const MEMBERS_REFRESH_MS = 30_000
/** Members listed per reply; larger trees need paging (not yet). */
const MAX_MEMBERS = 100_000

export interface StorageOptions {
  quotaBytes: number
  steward?: Partial<StewardOptions>
}

export interface MembersReply {
  treeId?: string
  size?: number
  members?: Member[]
  /** Not the root: ask this one. */
  root?: Member
}

export class StorageOrgan implements Organ {
  readonly name = 'storage'
  readonly chunks: ChunkStore
  readonly manifests: ManifestStore
  readonly steward: Steward
  /** The member list from the root, with its ids, and when it was fetched (monotonic ms). */
  private members?: { list: Member[]; ids: Set<string>; at: number }
  /** A refresh under way: concurrent callers share it. */
  private membersFetch?: Promise<Member[]>
  private opened: Promise<void> | undefined
  private readonly counters = { chunkPuts: 0, chunkGets: 0, notChosen: 0, manifestPuts: 0, manifestGets: 0, removals: 0, refusedRemovals: 0 }

  constructor(
    private readonly ctx: OrganContext,
    options: StorageOptions,
  ) {
    if (!ctx.dataDir) throw new BorgError('usage', 'the shard cell needs a data directory')
    this.chunks = new ChunkStore({ dir: join(ctx.dataDir, 'store'), quotaBytes: options.quotaBytes, log: ctx.log })
    this.manifests = new ManifestStore(ctx.dataDir, ctx.log)
    this.steward = new Steward(ctx, this.chunks, this.manifests, () => this.memberList(), { ...DEFAULT_STEWARD, ...options.steward })
    for (const router of [ctx.net, ctx.receptor]) {
      router.on(SHARD_KIND.members, (m, r) => this.guard(r, async () => this.onMembers(r!)))
      router.on(SHARD_KIND.chunkPut, (m, r) => this.guard(r, () => this.onChunkPut(m, r!)))
      router.on(SHARD_KIND.chunkGet, (m, r) => this.guard(r, () => this.onChunkGet(m, r!)))
      router.on(SHARD_KIND.chunkHas, (m, r) => this.guard(r, () => this.onChunkHas(m, r!)))
      router.on(SHARD_KIND.manifestPut, (m, r) => this.guard(r, () => this.onManifestPut(m, r!)))
      router.on(SHARD_KIND.manifestGet, (m, r) => this.guard(r, () => this.onManifestGet(m, r!)))
      router.on(SHARD_KIND.manifestList, (m, r) => this.guard(r, () => this.onManifestList(m, r!)))
      router.on(SHARD_KIND.manifestRm, (m, r) => this.guard(r, () => this.onManifestRm(m, r!)))
      router.on(SHARD_KIND.audit, (m, r) => {
        if (r) return this.guard(r, () => this.onAudit(m, r))
        // One-way (a reader's "I just read this"): audit in the background.
        void (this.opened ?? Promise.resolve())
          .then(() => this.steward.auditId(checkFileId(readObject(m).id)))
          .catch((error) => this.ctx.log.debug(`storage: audit after a read failed: ${(error as Error).message}`))
      })
    }
  }

  start(): void {
    this.opened ??= Promise.all([this.chunks.open(), this.manifests.open()]).then(() => undefined)
    this.opened.then(
      () => this.steward.start(),
      (error) => this.ctx.log.error(`storage: cannot open the store: ${(error as Error).message}`),
    )
  }

  stop(): void {
    this.steward.stop()
  }

  status(): Record<string, unknown> {
    return { ...this.chunks.stats, quotaBytes: this.chunks.quotaBytes, manifests: this.manifests.count, membersKnown: this.members?.ids.size ?? 0, ...this.counters, steward: this.steward.counters }
  }

  /** Every request waits for the store to be open; failures become signed errors, never crashes. */
  private guard(responder: Responder | undefined, task: () => Promise<void>): void {
    if (!responder) return // storage requests all expect a reply
    ;(this.opened ?? Promise.resolve())
      .then(task)
      .catch((error) => {
        const e = error instanceof BorgError ? error : new BorgError('internal', (error as Error).message)
        if (!(error instanceof BorgError)) this.ctx.log.error(`storage: ${(error as Error).stack ?? error}`)
        responder.fail(e.code, e.message)
      })
  }

  // ----------------------------------------------------------------- members

  private async onMembers(r: Responder): Promise<void> {
    const tree = this.ctx.tree
    const roster = tree.state === 'root' ? tree.roster : undefined
    if (!roster) {
      const root = tree.info?.root ?? tree.view?.root
      if (!root) throw new BorgError('unavailable', 'this node has not joined its shard tree yet')
      return r.reply(jsonMessage(`${SHARD_KIND.members}.reply`, { root } satisfies MembersReply))
    }
    const members: Member[] = []
    for (let p = 1; p <= Math.min(roster.size, MAX_MEMBERS); p++) {
      const m = roster.at(p)
      if (m) members.push({ id: m.id, endpoint: m.endpoint })
    }
    r.reply(jsonMessage(`${SHARD_KIND.members}.reply`, { treeId: roster.treeId, size: roster.size, members } satisfies MembersReply))
  }

  /** The members, fetched from the root when the cached list is older than the refresh period. */
  private memberList(): Promise<Member[]> {
    const fresh = this.members && this.ctx.clock.monotonic() - this.members.at <= MEMBERS_REFRESH_MS
    if (fresh) return Promise.resolve(this.members!.list)
    this.membersFetch ??= fetchMembers(this.ctx.transport, this.ctx.tree.info?.root ?? this.ctx.tree.view?.root)
      .then((list) => {
        this.members = { list, ids: new Set(list.map((m) => m.id)), at: this.ctx.clock.monotonic() }
        return list
      })
      .finally(() => (this.membersFetch = undefined))
    return this.membersFetch
  }

  /** The member ids known now (a stale list is refreshed in the background, never waited for). */
  private knownMembers(): Set<string> | undefined {
    this.memberList().catch((error) => this.ctx.log.debug(`storage: member list unavailable: ${(error as Error).message}`))
    return this.members?.ids
  }

  // ------------------------------------------------------------------ chunks

  private async onChunkPut(m: Incoming, r: Responder): Promise<void> {
    const hash = bodyName(m)
    const members = this.knownMembers()
    // Until the first member list arrives nothing can be checked; after, only chosen holders store.
    if (members && members.size > 0 && !mayHold(hash, this.ctx.self.id, members, MAX_REPLICAS)) {
      this.counters.notChosen++
      throw new BorgError('refused', `this node is not among the chosen holders of chunk ${hash}`)
    }
    // The body was checked against its signed hash at the edge: its name needs no second hashing pass.
    const result = await this.chunks.put(hash, m.body, { verified: m.bodyHash !== undefined })
    this.steward.touch(hash) // leased until the first audit vouches for it (or not)
    this.counters.chunkPuts++
    r.reply(jsonMessage(`${SHARD_KIND.chunkPut}.reply`, { hash, stored: result === 'stored', freeBytes: this.chunks.freeBytes }))
  }

  private async onChunkGet(m: Incoming, r: Responder): Promise<void> {
    const { hash } = readObject(m)
    if (!isSha256Hex(hash)) throw new BorgError('invalid-input', 'hash must be 64 lower-case hex digits')
    const bytes = await this.chunks.get(hash)
    if (!bytes) throw new BorgError('not-found', `chunk ${hash} is not here`)
    this.counters.chunkGets++
    // Verified on read, so its name is its hash: the envelope needs no second hashing pass.
    r.reply({ ...binaryMessage(`${SHARD_KIND.chunkGet}.reply`, bytes), bodyHash: hexToBytes(hash) })
  }

  private async onChunkHas(m: Incoming, r: Responder): Promise<void> {
    const { hashes, touch } = readObject(m)
    if (!Array.isArray(hashes) || hashes.length > MAX_HAS || !hashes.every(isSha256Hex)) {
      throw new BorgError('invalid-input', `hashes must be an array of at most ${MAX_HAS} chunk hashes`)
    }
    const have = await Promise.all(hashes.map((h) => this.chunks.has(h)))
    // An auditor vouches for the copies that belong here: their lease is renewed.
    if (Array.isArray(touch)) for (const k of touch) if (Number.isSafeInteger(k) && have[k as number]) this.steward.touch(hashes[k as number] as string)
    r.reply(jsonMessage(`${SHARD_KIND.chunkHas}.reply`, { have }))
  }

  // --------------------------------------------------------------- manifests

  private async onManifestPut(m: Incoming, r: Responder): Promise<void> {
    const { manifest, stored } = await this.manifests.put(m.body)
    this.counters.manifestPuts++
    r.reply(jsonMessage(`${SHARD_KIND.manifestPut}.reply`, { id: manifest.id, stored }))
  }

  private async onManifestGet(m: Incoming, r: Responder): Promise<void> {
    const id = checkFileId(readObject(m).id)
    const manifest = await this.manifests.get(id)
    if (!manifest) throw new BorgError('not-found', `no manifest for file ${id} here`)
    this.counters.manifestGets++
    r.reply(binaryMessage(`${SHARD_KIND.manifestGet}.reply`, manifest.bytes))
  }

  private async onManifestList(m: Incoming, r: Responder): Promise<void> {
    const { owner } = readObject(m)
    if (!isKeyIdHex(owner)) throw new BorgError('invalid-input', 'owner must be a key id')
    r.reply(jsonMessage(`${SHARD_KIND.manifestList}.reply`, { ids: this.manifests.idsOf(owner) }))
  }

  /** Audit one file now (a reader asks after every get: every read is an audit). */
  private async onAudit(m: Incoming, r: Responder): Promise<void> {
    const id = checkFileId(readObject(m).id)
    const result = await this.steward.auditId(id)
    if (!result) throw new BorgError('not-found', `no manifest for file ${id} here`)
    r.reply(jsonMessage(`${SHARD_KIND.audit}.reply`, result))
  }

  /** Only the owner may remove: the request must be signed by the manifest's owner key. */
  private async onManifestRm(m: Incoming, r: Responder): Promise<void> {
    const id = checkFileId(readObject(m).id)
    const owner = this.manifests.ownerOf(id)
    if (owner === undefined) return r.reply(jsonMessage(`${SHARD_KIND.manifestRm}.reply`, { id, removed: false }))
    if (owner !== m.fromHex) {
      this.counters.refusedRemovals++
      this.ctx.log.warn(`storage: refused removal of ${id} by ${m.fromHex.slice(0, 12)}, not its owner`, 'rm-refused')
      throw new BorgError('refused', `only the owner of file ${id} may remove it`)
    }
    await this.manifests.remove(id)
    this.counters.removals++
    r.reply(jsonMessage(`${SHARD_KIND.manifestRm}.reply`, { id, removed: true }))
  }
}

/** The shard tree's members, asked of `first` (any shard cell; its answer may redirect to the root). */
export async function fetchMembers(transport: Transport, first: Peer | undefined, timeoutMs = 10_000): Promise<Member[]> {
  let peer = first
  for (let hop = 0; peer && hop < 3; hop++) {
    const reply = readObject(await request(transport, peer, jsonMessage(SHARD_KIND.members, {}), timeoutMs)) as MembersReply
    if (reply.members) {
      if (reply.members.length === 0) throw new BorgError('unavailable', 'the shard tree has no members')
      return reply.members
    }
    peer = reply.root
  }
  throw new BorgError('unavailable', 'no shard cell answered with the member list')
}
