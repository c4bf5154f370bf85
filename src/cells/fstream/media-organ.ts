/**
 * The fstream cell's organ: `GET|HEAD /files/ID` on the cell's receptor port
 * serves a stored file to players with Range (respondWithFile, shared with
 * `borg stream serve`), reading it through this node's shard and files
 * cells. At most `capacity` responses run at once; a request beyond that is
 * redirected (307) to the least loaded other streaming cell with room, or
 * refused (503, Retry-After: 1). docs/storage.md, docs/protocol.md §9.8.
 */
import { BorgError } from '../../core/errors.js'
import { isSha256Hex } from '../../core/storage/names.js'
import { answerMembers } from '../../core/tree/member-list.js'
import { ownTreeMembers, type MemberView } from '../../core/tree/member-view.js'
import type { Member } from '../../core/tree/types.js'
import { ANYONE } from '../../core/messaging/router.js'
import type { Random } from '../../core/wire/random.js'
import { request } from '../../core/messaging/requests.js'
import { StorageClient } from '../../client/storage-client.js'
import { respondWithFile } from '../../client/range-server.js'
import type { PlainRequest, PlainResponse } from '../../core/cell/plain-http.js'
import type { Organ, OrganContext } from '../../core/cell/types.js'
import { LoadSurvey } from './load-survey.js'
import { FILES_PATH, FSTREAM_CODECS, FSTREAM_KIND, readLoad, type CellLoad } from './messages.js'
import { chooseRedirect, hopOf, MAX_HOPS, redirectLocation } from './redirect.js'

export const DEFAULT_FSTREAM_CLIENTS = 64
/** A new storage client (a fresh member map, no cached manifests) this often, and after a failure. */
const STORAGE_REFRESH_MS = 30_000
/** Other streaming cells asked for their load at once, and how long each may take. */
const ASK_AT_MOST = 8
const ASK_TIMEOUT_MS = 1_000

export interface MediaOrganOptions {
  /** Media responses served at once (BORG_FSTREAM_CLIENTS). */
  capacity: number
  /** How long other cells' loads are reused, ms (default 1000). */
  loadCacheMs?: number
}

export class MediaOrgan implements Organ {
  readonly name = 'media'
  /** Public so a test can fill a running cell quickly. */
  capacity: number
  private clients = 0
  private readonly counters = { served: 0, redirected: 0, refusedBusy: 0, failed: 0 }
  private storage?: { client: StorageClient; at: number }
  private readonly members: MemberView
  private readonly survey: LoadSurvey

  constructor(
    private readonly ctx: OrganContext,
    options: MediaOrganOptions,
  ) {
    this.capacity = options.capacity
    this.members = ownTreeMembers(ctx.transport, FSTREAM_KIND.members, ctx.tree, ctx.clock)
    this.survey = new LoadSurvey(() => this.askOthers(), ctx.clock, options.loadCacheMs, (e) => ctx.log.debug(`fstream: no loads: ${e.message}`))
    for (const router of [ctx.net, ctx.receptor]) router.on(FSTREAM_KIND.members, ANYONE, (m, r) => r && answerMembers(ctx.tree, m, r, () => this.members.current))
    // A public question whose body is not read.
    ctx.net.on(FSTREAM_KIND.load, ANYONE, (_m, r) => r?.reply(FSTREAM_CODECS.loadReply.encode(this.load())))
    ctx.httpGet(FILES_PATH, (req, res) => this.serve(req, res))
  }

  start(): void {}

  stop(): void {}

  status(): Record<string, unknown> {
    return { clients: this.clients, capacity: this.capacity, ...this.counters, streamingCellsKnown: this.members.size }
  }

  /** This cell's load, as `fstream.load` answers it. */
  load(): CellLoad {
    return { clients: this.clients, capacity: this.capacity, url: `https://${this.ctx.siblings()[this.ctx.cell]?.recp ?? ''}` }
  }

  private async serve(req: PlainRequest, res: PlainResponse): Promise<void> {
    const raw = req.url
    const q = raw.indexOf('?')
    // The raw path, not a URL-normalised one: `/files/../x` must be refused, not resolved.
    const id = (q < 0 ? raw : raw.slice(0, q)).slice(FILES_PATH.length).toLowerCase()
    if (!isSha256Hex(id)) return text(req, res, 400, `not a file id: use ${FILES_PATH}<64 hex digits>`)
    if (this.clients >= this.capacity) return this.turnAway(req, res, id, hopOf(q < 0 ? '' : raw.slice(q + 1)))
    this.clients++
    res.onClose(() => this.clients--)
    try {
      let client = this.storageClient()
      const manifest = await client.manifest(id).catch((error: unknown) => {
        // A member map from before the file managers that keep it joined: ask once more with a fresh one.
        if (!(error instanceof BorgError && error.code === 'not-found')) throw error
        this.storage = undefined
        client = this.storageClient()
        return client.manifest(id)
      })
      if (manifest.enc) return text(req, res, 403, `file ${id} is encrypted and this node cannot decrypt it; its owner can play it with borg stream serve --identity`)
      const status = await respondWithFile(req, res, { manifest, mime: manifest.mime, chunk: (i) => client.chunk(manifest, i) }, (e) => this.failed(e))
      if (status < 300) this.counters.served++
    } catch (error) {
      const e = error instanceof BorgError ? error : new BorgError('internal', (error as Error).message)
      if (e.code === 'not-found') return text(req, res, 404, `no file ${id} in this network`)
      if (e.code === 'invalid-input') return text(req, res, 400, e.message)
      this.failed(e)
      text(req, res, 503, e.message)
    }
  }

  /** Full: send the client to the least loaded other streaming cell with room, or ask it to come back. */
  private async turnAway(req: PlainRequest, res: PlainResponse, id: string, hop: number): Promise<void> {
    const target = hop < MAX_HOPS ? chooseRedirect(await this.survey.loads()) : undefined
    if (target) {
      this.survey.sentTo(target.url)
      this.counters.redirected++
      const location = redirectLocation(target, id, hop + 1)
      return text(req, res, 307, `this streaming cell is full; go to ${location}`, { location })
    }
    this.counters.refusedBusy++
    text(req, res, 503, 'every streaming cell asked is at capacity; retry in a second', { 'retry-after': '1' })
  }

  /** Up to ASK_AT_MOST other members of the fstream tree, chosen at random, asked in parallel. */
  private async askOthers(): Promise<CellLoad[]> {
    const others = (await this.members.list()).filter((m) => m.id !== this.ctx.self.id)
    const own = this.load().url
    const replies = await Promise.allSettled(sample(others, ASK_AT_MOST, this.ctx.random).map((m) => request(this.ctx.transport, m, FSTREAM_CODECS.load.encode({}), ASK_TIMEOUT_MS)))
    return replies.flatMap((r) => {
      const load = r.status === 'fulfilled' ? readLoad(r.value) : undefined
      return load && load.url !== own ? [load] : []
    })
  }

  /** Reads go through this node's own shard and file-manager cells (their net ports answer clients too). */
  private storageClient(): StorageClient {
    const now = this.ctx.clock.monotonic()
    if (this.storage && now - this.storage.at < STORAGE_REFRESH_MS) return this.storage.client
    const cells = this.ctx.siblings()
    const missing = ['shard', 'files'].filter((name) => !cells[name])
    if (missing.length > 0) throw new BorgError('unavailable', `this node runs no ${missing.join(' or ')} cell, which streaming reads through (start it with --cells all)`)
    const self = this.ctx.self.id
    const client = new StorageClient({
      transport: this.ctx.transport,
      shards: { endpoint: cells.shard!.net, id: self },
      files: { endpoint: cells.files!.net, id: self },
      random: this.ctx.random,
      now: () => this.ctx.clock.now(),
    })
    this.storage = { client, at: now }
    return client
  }

  /** A read failed: the next request starts with a fresh member map. */
  private failed(error: Error): void {
    this.counters.failed++
    this.storage = undefined
    this.ctx.log.warn(`fstream: ${error.message}`, 'fstream-read')
  }
}

/** A short plain-text answer (no body for HEAD). */
function text(req: PlainRequest, res: PlainResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return res.abort()
  res.head(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers })
  res.end(req.method === 'HEAD' ? undefined : `${message}\n`)
}

/** Up to `n` of `list`, chosen uniformly at random. */
function sample(list: readonly Member[], n: number, random: Random): Member[] {
  const copy = [...list]
  for (let i = 0; i < Math.min(n, copy.length); i++) {
    const j = i + random.int(copy.length - i)
    ;[copy[i], copy[j]] = [copy[j]!, copy[i]!]
  }
  return copy.slice(0, n)
}
