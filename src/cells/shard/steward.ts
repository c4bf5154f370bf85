/**
 * Self-heal and garbage collection without a global lock (docs/storage.md).
 *
 * Every node that holds a manifest audits it each round: it asks the best-
 * ranked members of every chunk which of them have it (`shard.chunk.has`),
 * renewing the lease of the copies that should be there (the first R of the
 * ranking). Fewer than R live copies: it fetches the chunk from a holder and
 * sends it down the ranking until there are R again. More than R: the extras
 * simply get no lease. A holder collects a chunk whose lease is older than the
 * grace period, so removed and expired files, pruned extras and chunks nobody
 * claims fade away while puts and gets carry on. A scrub re-hashes a few
 * stored chunks per round; a corrupt one is deleted and the next audit puts a
 * good copy back.
 */
import { BorgError } from '../../core/errors.js'
import { hexToBytes } from '../../core/bytes.js'
import { BodyType, jsonMessage } from '../../core/wire/message.js'
import { request } from '../../core/wire/transport.js'
import { rankHolders } from '../../core/storage/placement.js'
import type { Manifest } from '../../core/storage/manifest.js'
import type { Member } from '../../core/tree/types.js'
import type { Timer } from '../../core/wire/clock.js'
import type { OrganContext } from '../types.js'
import type { ChunkStore } from './chunk-store.js'
import type { ManifestStore } from './manifest-store.js'
import { MAX_HAS, SHARD_KIND, readObject } from './messages.js'

export interface StewardOptions {
  /** Audit every held manifest this often, ms. */
  auditMs: number
  /** A chunk whose lease is older than this is collected, ms. */
  graceMs: number
  /** Chunks re-hashed per round. */
  scrubPerRound: number
}

export const DEFAULT_STEWARD: StewardOptions = { auditMs: 10 * 60_000, graceMs: 24 * 3_600_000, scrubPerRound: 256 }

/** How far down a chunk's ranking copies are counted. */
const AUDIT_DEPTH = 10
const DEFAULT_REPLICAS = 3

export interface AuditResult {
  id: string
  chunks: number
  /** Fewest live copies found before repair. */
  fewest: number
  repaired: number
  expired: boolean
}

export class Steward {
  private timer?: Timer
  private running = false
  private stopped = false
  /** hash → when a manifest holder last vouched for it (monotonic ms). */
  private readonly leases = new Map<string, number>()
  private readonly startedAt: number
  readonly counters = { rounds: 0, audits: 0, repairs: 0, collected: 0, scrubbed: 0, corruptFound: 0, expired: 0 }

  constructor(
    private readonly ctx: OrganContext,
    private readonly chunks: ChunkStore,
    private readonly manifests: ManifestStore,
    private readonly members: () => Promise<Member[]>,
    private readonly options: StewardOptions,
  ) {
    this.startedAt = ctx.clock.monotonic()
  }

  start(): void {
    this.schedule()
  }

  stop(): void {
    this.stopped = true
    this.timer?.cancel()
  }

  /** A chunk was just stored or vouched for. */
  touch(hash: string): void {
    this.leases.set(hash, this.ctx.clock.monotonic())
  }

  private schedule(): void {
    if (this.stopped) return
    const jitter = 0.8 + 0.4 * this.ctx.random.float()
    this.timer = this.ctx.clock.after(this.options.auditMs * jitter, () => void this.round())
  }

  /** One round: audit every held manifest, collect lapsed chunks, scrub a few. */
  async round(): Promise<void> {
    if (this.running || this.stopped) return
    this.running = true
    try {
      this.counters.rounds++
      for (const id of [...this.manifests.ids()]) {
        if (this.stopped) return
        await this.auditId(id).catch((error) => this.ctx.log.debug(`steward: audit of ${id.slice(0, 12)} failed: ${(error as Error).message}`))
      }
      await this.collect()
      const { checked, corrupt } = await this.chunks.scrub({ maxChunks: this.options.scrubPerRound })
      this.counters.scrubbed += checked
      this.counters.corruptFound += corrupt.length
    } catch (error) {
      this.ctx.log.warn(`steward: round failed: ${(error as Error).message}`, 'steward-round')
    } finally {
      this.running = false
      this.schedule()
    }
  }

  async auditId(id: string): Promise<AuditResult | undefined> {
    const manifest = await this.manifests.get(id)
    return manifest ? this.audit(manifest) : undefined
  }

  /** Count, vouch for and (if need be) repair the copies of every chunk of one file. */
  async audit(manifest: Manifest): Promise<AuditResult> {
    this.counters.audits++
    if (manifest.expires !== undefined && manifest.expires < this.ctx.clock.now()) {
      await this.manifests.remove(manifest.id)
      this.counters.expired++
      this.ctx.log.info(`steward: file ${manifest.id.slice(0, 12)} expired; its chunks lapse`)
      return { id: manifest.id, chunks: manifest.chunks.length, fewest: 0, repaired: 0, expired: true }
    }
    const members = await this.members()
    const byId = new Map(members.map((m) => [m.id, m]))
    byId.set(this.ctx.self.id, this.ctx.self)
    const target = Math.min(manifest.replicas ?? DEFAULT_REPLICAS, byId.size)
    const unique = [...new Set(manifest.chunks)]
    const rankings = new Map(unique.map((h) => [h, rankHolders(h, byId.keys()).slice(0, AUDIT_DEPTH)]))
    // One has-query per member (in slices of MAX_HAS): which of its chunks it has; lease the first `target`.
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
    await Promise.all(
      [...asks].map(async ([id, a]) => {
        for (let i = 0; i < a.hashes.length; i += MAX_HAS) {
          const hashes = a.hashes.slice(i, i + MAX_HAS)
          const touch = a.touch.slice(i, i + MAX_HAS).map((t, k) => (t ? k : -1)).filter((k) => k >= 0)
          const have = await this.has(byId.get(id)!, hashes, touch).catch(() => undefined)
          if (have) hashes.forEach((h, k) => have[k] && holders.get(h)!.push(id))
        }
      }),
    )
    let fewest = Infinity
    let repaired = 0
    for (const [hash, found] of holders) {
      fewest = Math.min(fewest, found.length)
      if (found.length >= target) continue
      if (found.length === 0) {
        this.ctx.log.warn(`steward: chunk ${hash.slice(0, 12)} of file ${manifest.id.slice(0, 12)} has no live copy`, 'chunk-lost')
        continue
      }
      repaired += await this.repair(hash, found, rankings.get(hash)!, target, byId)
    }
    this.counters.repairs += repaired
    if (repaired > 0) this.ctx.log.info(`steward: file ${manifest.id.slice(0, 12)}: ${repaired} chunk copies made (fewest live copies were ${fewest} of ${target})`)
    return { id: manifest.id, chunks: manifest.chunks.length, fewest: fewest === Infinity ? target : fewest, repaired, expired: false }
  }

  /** Which of `hashes` a member has; the ones at `touch` indexes get their lease renewed. */
  private async has(member: Member, hashes: string[], touch: number[]): Promise<boolean[]> {
    if (member.id === this.ctx.self.id) {
      for (const k of touch) this.touch(hashes[k]!)
      return Promise.all(hashes.map((h) => this.chunks.has(h)))
    }
    const reply = readObject(await request(this.ctx.transport, member, jsonMessage(SHARD_KIND.chunkHas, { hashes, touch }), 15_000))
    const have = reply.have
    if (!Array.isArray(have) || have.length !== hashes.length) throw new BorgError('bad-reply', 'has: wrong answer length')
    return have.map(Boolean)
  }

  /** Copy a chunk from one holder to members down its ranking that lack it, until `target` hold it. */
  private async repair(hash: string, found: string[], ranking: string[], target: number, byId: Map<string, Member>): Promise<number> {
    let bytes: Uint8Array | undefined
    for (const id of found) {
      bytes = id === this.ctx.self.id ? await this.chunks.get(hash) : await this.fetch(byId.get(id)!, hash).catch(() => undefined)
      if (bytes) break
    }
    if (!bytes) return 0
    let copies = found.length
    let made = 0
    for (const id of ranking) {
      if (copies >= target) break
      if (found.includes(id)) continue
      try {
        if (id === this.ctx.self.id) {
          await this.chunks.put(hash, bytes)
          this.touch(hash)
        } else {
          await request(this.ctx.transport, byId.get(id)!, { kind: SHARD_KIND.chunkPut, body: bytes, bodyType: BodyType.binary, bodyHash: hexToBytes(hash) }, 30_000)
        }
        copies++
        made++
      } catch (error) {
        this.ctx.log.debug(`steward: ${id.slice(0, 12)} did not take chunk ${hash.slice(0, 12)}: ${(error as Error).message}`)
      }
    }
    return made
  }

  private async fetch(member: Member, hash: string): Promise<Uint8Array | undefined> {
    const reply = await request(this.ctx.transport, member, jsonMessage(SHARD_KIND.chunkGet, { hash }), 30_000)
    const name = reply.bodyHash ? Buffer.from(reply.bodyHash).toString('hex') : undefined
    return name === hash ? reply.body : undefined
  }

  /** Delete chunks no manifest holder has vouched for within the grace period. */
  private async collect(): Promise<void> {
    const now = this.ctx.clock.monotonic()
    const lapse = now - this.options.graceMs
    const doomed: string[] = []
    for await (const { hash } of this.chunks.list()) {
      if ((this.leases.get(hash) ?? this.startedAt) < lapse) doomed.push(hash)
    }
    for (const hash of doomed) {
      if (await this.chunks.delete(hash)) this.counters.collected++
      this.leases.delete(hash)
    }
    if (doomed.length > 0) this.ctx.log.info(`steward: collected ${doomed.length} chunk(s) no file vouched for in ${Math.round(this.options.graceMs / 1000)} s`)
  }
}
