/**
 * Self-heal without a global lock (docs/storage.md), run by every file
 * manager for every manifest it keeps, each round and after every read:
 *
 * - Manifests: the manifest's holders among the file managers
 *   (`manifestHolders`) are asked which of the held manifests they have
 *   (`files.manifest.has`, one ask per holder per round); the ones missing it
 *   get a copy. A holder that shows the owner's removal instead makes this
 *   node drop its own copy: removals spread the way manifests do.
 * - Chunks: the best-ranked shard cells of every chunk are asked which of
 *   them they have (`shard.chunk.has`), renewing the lease of the copies that
 *   should be there (the first R of the ranking). Fewer than R live copies:
 *   the next shard cells of the ranking are asked to pull the chunk straight
 *   from its live holders (`shard.chunk.fetch`, a DStream pull between shard
 *   cells: the bytes never pass through the auditor) until there are R again. More than R: the extras get no lease, and their shard cells
 *   collect them after the grace period (src/cells/shard/chunk-keeper.ts).
 * - Expired files are dropped, so their chunks' leases lapse too.
 *
 * Besides the rounds, the steward watches both trees (every `watchMs`, a
 * question that costs almost nothing while a tree is unchanged): when shard
 * cells leave the shard tree (their death was detected and their positions
 * repaired), every kept file that had a chunk among the first R of a departed
 * cell's rankings is audited at once, so lost copies are made up within
 * seconds of the detection instead of at the next round or read; when file
 * managers leave theirs, the manifests they kept get copies elsewhere.
 */
import { BorgError } from '../../core/errors.js'
import { request } from '../../core/messaging/requests.js'
import { AUDIT_CODECS, MAX_FETCH, MAX_HAS } from '../../core/storage/audit-messages.js'
import { manifestHolders, rankHolders, ranksAmong } from '../../core/storage/placement.js'
import { storedChunkLength, type Manifest } from '../../core/storage/manifest.js'
import { openRemoval } from '../../core/storage/removal.js'
import type { Member } from '../../core/tree/types.js'
import type { MembershipChange } from '../../core/tree/member-view.js'
import type { OrganContext } from '../../core/cell/types.js'
import type { ManifestStore } from './manifest-store.js'
import { FILES_CODECS, MAX_HAS_IDS, type AuditResult } from './messages.js'
import { Periodic } from '../../core/time/periodic.js'

export interface StewardOptions {
  /** Audit every held manifest this often, ms. */
  auditMs: number
  /** Look for shard cells that left the shard tree this often, ms. */
  watchMs: number
}

export const DEFAULT_STEWARD: StewardOptions = { auditMs: 10 * 60_000, watchMs: 5_000 }

/** How far down a chunk's ranking copies are counted. */
const AUDIT_DEPTH = 10
const DEFAULT_REPLICAS = 3

/** A chunk short of copies: where it lives, and who could hold it next (in rank order). */
interface Need {
  hash: string
  length: number
  holders: string[]
  candidates: string[]
  missing: number
}

export interface StewardPeers {
  /** The file-manager tree's members. */
  files(): Promise<Member[]>
  /**
   * The shard tree's members (undefined: no shard cell is known, chunks are not audited);
   * `fresh`: the whole list fetched now, not a recent one.
   */
  shards(fresh?: boolean): Promise<Member[] | undefined>
  /** Look at the shard tree again: who left and joined since the list held before (undefined: nothing changed). */
  shardChanges(): Promise<MembershipChange | undefined>
  /** The same for the file-manager tree. */
  fileChanges(): Promise<MembershipChange | undefined>
}

export class FileSteward {
  /** The audit round (every auditMs, jittered) and the look at both trees (every watchMs). */
  private readonly rounds: Periodic
  private readonly watches: Periodic
  private running = false
  private stopped = false
  /** Shard cells that left and whose files are not audited yet, with the list they left (their rankings). */
  private departed = new Map<string, Member>()
  private departedFrom = new Map<string, Member>()
  private healing?: Promise<void>
  readonly counters = { rounds: 0, audits: 0, repairs: 0, expired: 0, manifestCopies: 0, removalsLearned: 0, shardDepartures: 0, departureAudits: 0, fileManagerDepartures: 0 }

  constructor(
    private readonly ctx: OrganContext,
    private readonly manifests: ManifestStore,
    private readonly peers: StewardPeers,
    private readonly options: StewardOptions,
  ) {
    this.rounds = new Periodic({ clock: ctx.clock, everyMs: options.auditMs, jitter: { random: ctx.random, fraction: 0.2 }, run: () => this.round(), onError: () => {} })
    this.watches = new Periodic({
      clock: ctx.clock,
      everyMs: options.watchMs,
      run: () => this.watch(),
      onError: (error) => ctx.log.warn(`steward: watch failed: ${error.message}`, 'steward-watch'),
    })
  }

  start(): void {
    this.rounds.start()
    this.watches.start()
  }

  stop(): void {
    this.stopped = true
    this.rounds.stop()
    this.watches.stop()
  }

  /**
   * One look at both trees. Departed shard cells start the audit of what they
   * held; departed file managers, new copies of the manifests they kept.
   */
  async watch(): Promise<void> {
    const look = (what: string, changes: () => Promise<MembershipChange | undefined>) =>
      changes().catch((error: Error) => void this.ctx.log.debug(`steward: ${what} members unavailable: ${error.message}`))
    const [files, shards] = await Promise.all([look('file-manager', () => this.peers.fileChanges()), look('shard', () => this.peers.shardChanges())])
    if (files && files.left.length > 0) await this.manifestDepartures(files)
    if (shards && shards.left.length > 0) await this.departures(shards)
  }

  /** File managers left: the manifests they were to keep get copies on the others (as a round would give them). */
  private async manifestDepartures(change: MembershipChange): Promise<void> {
    this.counters.fileManagerDepartures += change.left.length
    const left = new Set(change.left.map((m) => m.id))
    const before = change.before.map((m) => m.id)
    const affected: Manifest[] = []
    for (const id of [...this.manifests.ids()]) {
      const m = await this.manifests.get(id)
      if (m && manifestHolders(m.id, m.owner, before).some((h) => left.has(h))) affected.push(m)
    }
    if (affected.length === 0) return
    const { copies } = await this.replicate(affected).catch((error: Error) => (this.ctx.log.debug(`steward: manifest replication failed: ${error.message}`), { copies: 0 }))
    this.ctx.log.info(`steward: ${change.left.length} file manager(s) left: ${affected.length} manifest(s) they kept checked, ${copies} copies made`)
  }

  /**
   * Shard cells left the tree: audit every kept file that had a chunk among
   * the first R of a departed cell's rankings (over the list they left).
   * Departures seen while an audit pass runs are taken by the next pass.
   */
  departures(change: MembershipChange): Promise<void> {
    for (const m of change.left) this.departed.set(m.id, m)
    for (const m of change.before) this.departedFrom.set(m.id, m)
    this.counters.shardDepartures += change.left.length
    return this.heal()
  }

  private heal(): Promise<void> {
    this.healing ??= this.healDepartures().finally(() => {
      this.healing = undefined
      // Departures that came in as the last pass ended get their own.
      if (this.departed.size > 0 && !this.stopped) void this.heal()
    })
    return this.healing
  }

  private async healDepartures(): Promise<void> {
    while (this.departed.size > 0 && !this.stopped) {
      const left = [...this.departed.values()]
      const before = [...this.departedFrom.keys()]
      this.departed = new Map()
      this.departedFrom = new Map()
      const affected: Manifest[] = []
      for (const id of [...this.manifests.ids()]) {
        const m = await this.manifests.get(id)
        if (!m) continue
        const target = Math.min(m.replicas ?? DEFAULT_REPLICAS, before.length)
        if (m.chunks.some((hash) => left.some((gone) => ranksAmong(hash, gone.id, before, target)))) affected.push(m)
      }
      const names = left.map((m) => m.id.slice(0, 12)).join(', ')
      this.ctx.log.info(`steward: shard cell(s) ${names} left the shard tree: auditing ${affected.length} file(s) that had chunks there`)
      for (const manifest of affected) {
        if (this.stopped) return
        if (!this.manifests.ownerOf(manifest.id)) continue // removed meanwhile
        this.counters.departureAudits++
        await this.auditChunks(manifest).catch((error) => this.ctx.log.debug(`steward: audit of ${manifest.id.slice(0, 12)} failed: ${(error as Error).message}`))
      }
    }
  }

  /** One round: replicate and audit every held manifest. */
  async round(): Promise<void> {
    if (this.running || this.stopped) return
    this.running = true
    try {
      this.counters.rounds++
      const held: Manifest[] = []
      for (const id of [...this.manifests.ids()]) {
        const m = await this.manifests.get(id)
        if (m) held.push(m)
      }
      const live = await this.dropExpired(held)
      await this.replicate(live).catch((error) => this.ctx.log.debug(`steward: manifest replication failed: ${(error as Error).message}`))
      for (const manifest of live) {
        if (this.stopped) return
        if (!this.manifests.ownerOf(manifest.id)) continue // removed meanwhile
        await this.auditChunks(manifest).catch((error) => this.ctx.log.debug(`steward: audit of ${manifest.id.slice(0, 12)} failed: ${(error as Error).message}`))
      }
    } catch (error) {
      this.ctx.log.warn(`steward: round failed: ${(error as Error).message}`, 'steward-round')
    } finally {
      this.running = false
    }
  }

  /** Audit one file now (after a read: every read is an audit). */
  async auditId(id: string): Promise<AuditResult | undefined> {
    const manifest = await this.manifests.get(id)
    if (!manifest) return undefined
    if ((await this.dropExpired([manifest])).length === 0) return { id, chunks: manifest.chunks.length, fewest: 0, repaired: 0, expired: true }
    const { copies, removed } = await this.replicate([manifest])
    if (removed.has(id)) return { id, chunks: manifest.chunks.length, fewest: 0, repaired: 0, expired: false, removed: true }
    return { ...(await this.auditChunks(manifest)), manifestCopies: copies }
  }

  private async dropExpired(manifests: Manifest[]): Promise<Manifest[]> {
    const now = this.ctx.clock.now()
    const live: Manifest[] = []
    for (const m of manifests) {
      if (m.expires !== undefined && m.expires < now) {
        await this.manifests.remove(m.id)
        this.counters.expired++
        this.ctx.log.info(`steward: file ${m.id.slice(0, 12)} expired; its chunks lapse`)
      } else live.push(m)
    }
    return live
  }

  /** Give every manifest's missing holders a copy; learn removals they show. */
  private async replicate(manifests: Manifest[]): Promise<{ copies: number; removed: Set<string> }> {
    const members = await this.peers.files()
    const byId = new Map(members.map((m) => [m.id, m]))
    byId.delete(this.ctx.self.id)
    const candidates = [...byId.keys(), this.ctx.self.id]
    const asks = new Map<string, Manifest[]>()
    for (const m of manifests) {
      for (const holder of manifestHolders(m.id, m.owner, candidates)) {
        if (!byId.has(holder)) continue
        let list = asks.get(holder)
        if (!list) asks.set(holder, (list = []))
        list.push(m)
      }
    }
    let copies = 0
    const removed = new Set<string>()
    await Promise.all(
      [...asks].map(async ([holder, list]) => {
        const peer = byId.get(holder)!
        for (let i = 0; i < list.length; i += MAX_HAS_IDS) {
          const slice = list.slice(i, i + MAX_HAS_IDS)
          const reply = await request(this.ctx.transport, peer, FILES_CODECS.has.encode({ ids: slice.map((m) => m.id) }), 15_000)
            .then((answer) => FILES_CODECS.hasReply.decode(answer))
            .catch(() => undefined)
          if (!reply) return // a silent (or garbled) file manager is somebody else's problem this round
          const { have, removals } = reply
          for (const [k, m] of slice.entries()) {
            const shown = removals[m.id]
            if (shown !== undefined) {
              if (await this.learnRemoval(m.id, shown)) removed.add(m.id)
              continue
            }
            if (have[k] === true || removed.has(m.id)) continue
            try {
              await request(this.ctx.transport, peer, FILES_CODECS.put.encode(m.bytes), 15_000)
              copies++
            } catch (error) {
              this.ctx.log.debug(`steward: ${holder.slice(0, 12)} did not take manifest ${m.id.slice(0, 12)}: ${(error as Error).message}`)
            }
          }
        }
      }),
    )
    this.counters.manifestCopies += copies
    return { copies, removed }
  }

  private async learnRemoval(id: string, base64: string): Promise<boolean> {
    try {
      const outcome = await this.manifests.applyRemoval(openRemoval(new Uint8Array(Buffer.from(base64, 'base64')), id))
      if (outcome === 'removed') {
        this.counters.removalsLearned++
        this.ctx.log.info(`steward: file ${id.slice(0, 12)} was removed by its owner (learned from another file manager)`)
        return true
      }
    } catch (error) {
      this.ctx.log.warn(`steward: a file manager showed a bad removal of ${id.slice(0, 12)}: ${(error as Error).message}`, 'bad-removal')
    }
    return false
  }

  /** Count, vouch for and (if need be) repair the copies of every chunk of one file. */
  async auditChunks(manifest: Manifest): Promise<AuditResult> {
    this.counters.audits++
    const base = { id: manifest.id, chunks: manifest.chunks.length, expired: false }
    const members = await this.peers.shards()
    if (!members) return { ...base, fewest: 0, repaired: 0 }
    const lengths = new Map(manifest.chunks.map((h, i) => [h, storedChunkLength(manifest, i)]))
    let count = await this.countCopies(manifest, [...lengths.keys()], members)
    if ([...count.holders.values()].some((found) => found.length === 0)) {
      // Before calling a chunk lost: a shard cell that joined after our list was fetched may hold it
      // (a put placed it by a newer list). Look at the whole tree again and count anew if it grew.
      const fresh = await this.peers.shards(true)
      if (fresh && fresh.some((m) => !count.byId.has(m.id))) count = await this.countCopies(manifest, [...lengths.keys()], fresh)
    }
    const { byId, target, rankings, holders, silent } = count
    let fewest = Infinity
    const needs: Need[] = []
    for (const [hash, found] of holders) {
      fewest = Math.min(fewest, found.length)
      if (found.length >= target) continue
      if (found.length === 0) {
        const ranking = rankings.get(hash)!
        const unanswered = ranking.filter((id) => silent.has(id)).length
        this.ctx.log.warn(
          `steward: chunk ${hash.slice(0, 12)} of file ${manifest.id.slice(0, 12)} has no live copy among the ${ranking.length} best-ranked of ${byId.size} shard cells (${unanswered} did not answer)`,
          'chunk-lost',
        )
        continue
      }
      const candidates = rankings.get(hash)!.filter((id) => !found.includes(id))
      needs.push({ hash, length: lengths.get(hash)!, holders: found, candidates, missing: target - found.length })
    }
    const repaired = needs.length > 0 ? await this.repair(needs, byId) : 0
    this.counters.repairs += repaired
    if (repaired > 0) this.ctx.log.info(`steward: file ${manifest.id.slice(0, 12)}: ${repaired} chunk copies made (fewest live copies were ${fewest} of ${target})`)
    return { ...base, fewest: fewest === Infinity ? target : fewest, repaired }
  }

  /** Ask the best-ranked shard cells of every chunk which of them they have; the first `target` of each ranking get their lease renewed. */
  private async countCopies(manifest: Manifest, unique: string[], members: Member[]) {
    const byId = new Map(members.map((m) => [m.id, m]))
    const target = Math.min(manifest.replicas ?? DEFAULT_REPLICAS, byId.size)
    const rankings = new Map(unique.map((h) => [h, rankHolders(h, byId.keys()).slice(0, AUDIT_DEPTH)]))
    // One has-query per member (in slices): which of its chunks it has; lease the first `target`.
    const asks = new Map<string, { hashes: string[]; touch: boolean[] }>()
    for (const [hash, ranking] of rankings) {
      ranking.forEach((id, rank) => {
        let a = asks.get(id)
        if (!a) asks.set(id, (a = { hashes: [], touch: [] }))
        a.hashes.push(hash)
        a.touch.push(rank < target)
      })
    }
    const holders = new Map<string, string[]>(unique.map((h) => [h, []]))
    /** Shard cells that did not answer (dead, or not reachable from here). */
    const silent = new Set<string>()
    await Promise.all(
      [...asks].map(async ([id, a]) => {
        for (let i = 0; i < a.hashes.length; i += MAX_HAS) {
          const hashes = a.hashes.slice(i, i + MAX_HAS)
          const touch = a.touch.slice(i, i + MAX_HAS).flatMap((t, k) => (t ? [k] : []))
          const have = await this.has(byId.get(id)!, hashes, touch).catch(() => undefined)
          if (have) hashes.forEach((h, k) => have[k] && holders.get(h)!.push(id))
          else silent.add(id)
        }
      }),
    )
    return { byId, target, rankings, holders, silent }
  }

  /** Which of `hashes` a shard cell has; the ones at `touch` indexes get their lease renewed. */
  private async has(member: Member, hashes: string[], touch: number[]): Promise<boolean[]> {
    const { have } = AUDIT_CODECS.chunkHasReply.decode(await request(this.ctx.transport, member, AUDIT_CODECS.chunkHas.encode({ hashes, touch }), 15_000))
    if (have.length !== hashes.length) throw new BorgError('bad-reply', 'has: wrong answer length')
    return have
  }

  /**
   * Make up missing copies: each short chunk is assigned to the next shard cells of its ranking,
   * which pull it from its live holders (one `shard.chunk.fetch` per cell for all its chunks);
   * a chunk a cell could not take goes to the next candidate in another pass.
   */
  private async repair(needs: Need[], byId: Map<string, Member>): Promise<number> {
    let made = 0
    for (let pass = 0; pass < AUDIT_DEPTH; pass++) {
      const plan = new Map<string, Need[]>()
      for (const need of needs) {
        for (let k = 0; k < need.missing && need.candidates.length > 0; k++) {
          const id = need.candidates.shift()!
          let list = plan.get(id)
          if (!list) plan.set(id, (list = []))
          list.push(need)
        }
      }
      if (plan.size === 0) break
      await Promise.all(
        [...plan].map(async ([id, list]) => {
          for (let i = 0; i < list.length; i += MAX_FETCH) {
            const slice = list.slice(i, i + MAX_FETCH)
            const chunks = slice.map((n) => ({ hash: n.hash, length: n.length, from: n.holders.map((h) => byId.get(h)!) }))
            try {
              const reply = AUDIT_CODECS.chunkFetchReply.decode(await request(this.ctx.transport, byId.get(id)!, AUDIT_CODECS.chunkFetch.encode({ chunks }), 120_000))
              const stored = new Set(reply.stored)
              if (stored.size < slice.length) this.ctx.log.debug(`steward: ${id.slice(0, 12)} fetched ${stored.size} of ${slice.length} chunk(s)`)
              for (const need of slice) {
                if (!stored.has(need.hash)) continue
                need.missing--
                made++
              }
            } catch (error) {
              this.ctx.log.debug(`steward: ${id.slice(0, 12)} did not fetch ${slice.length} chunk(s): ${(error as Error).message}`)
            }
          }
        }),
      )
      needs = needs.filter((n) => n.missing > 0)
    }
    return made
  }
}
