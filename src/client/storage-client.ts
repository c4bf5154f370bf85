/**
 * Putting and getting files (docs/storage.md): what `borg shard put/get/ls/rm`
 * run, in-process, against any node. The client asks one shard cell and one
 * file manager for their trees' member lists, places every chunk and manifest
 * itself by rendezvous hashing, uploads and downloads straight to and from
 * the holders with a window of chunks in flight, and verifies every chunk and
 * the whole file. So any node can serve any file, and the node asked first
 * holds nothing special.
 *
 * Nodes die at any moment, the trees' roots included: member lists come from
 * a deputy or the entry node when the root does not answer
 * (core/storage/members.ts), a holder that failed to connect or answer is
 * asked last for the rest of the command, and a holder that sent bytes which
 * do not match the chunk's name is told so (`shard.chunk.corrupt`), so it
 * drops a bad copy and the read's audit makes up a good one.
 */
import { BorgError } from '../core/errors.js'
import { bytesToHex, hexToBytes } from '../core/bytes.js'
import { sha256, sha256Stream } from '../core/crypto/hash.js'
import { backgroundSha256 } from '../core/crypto/background-hash.js'
import type { EnvelopeSigner } from '../core/envelope/seal.js'
import { chunksOf, DEFAULT_CHUNK_SIZE } from '../core/storage/chunking.js'
import { decryptChunk, encryptChunk, ENCRYPTION_ALG, fileKey, fileKeyFromMeta, sealMeta, type FileKeys } from '../core/storage/file-crypto.js'
import { openManifest, signManifest, storedChunkLength, type Manifest, type ManifestContent } from '../core/storage/manifest.js'
import { manifestHolders, ownerIndexKey, rankHolders, MANIFEST_COPIES } from '../core/storage/placement.js'
import { signRemoval } from '../core/storage/removal.js'
import { fetchMemberList } from '../core/tree/member-list.js'
import type { Member } from '../core/tree/types.js'
import { NODE_CODECS } from '../core/node/messages.js'
import type { Incoming } from '../core/wire/message.js'
import type { Random } from '../core/wire/random.js'
import { deliver, request } from '../core/messaging/requests.js'
import type { Peer, Transport } from '../core/wire/transport.js'
import { FILES_CODECS, FILES_KIND } from '../cells/files/messages.js'
import { MAX_REPLICAS, SHARD_CODECS, SHARD_KIND, chunkOfReply, type PinReply } from '../cells/shard/messages.js'
import { fetchWithRetries, pullWindow } from '../core/stream/pull-window.js'
import { MAX_HAS } from '../core/storage/audit-messages.js'
import { ChunkBatches, type BatchOptions } from './chunk-batches.js'

export const DEFAULT_REPLICAS = 3
/**
 * Bytes in flight at once (each chunk to all its holders): 32 MiB, that is 32
 * chunks of 1 MiB. Measured: 32 in flight instead of 8 gave +26 % put and
 * +29 % get on 3 local nodes. Memory stays at about this much whatever the file size.
 */
export const WINDOW_BYTES = 32 * 1024 * 1024

/** Chunks in flight for a chunk size: WINDOW_BYTES worth, at least 8 and at most 64. */
export function windowFor(chunkSize: number): number {
  return Math.max(8, Math.min(64, Math.ceil(WINDOW_BYTES / chunkSize)))
}
/** How far down the ranking a chunk or manifest is looked for. */
const SEARCH_DEPTH = MAX_REPLICAS + 2
/** A corruption report waits this long for the holder's answer (a read's audit waits for the reports). */
const REPORT_TIMEOUT_MS = 5_000

export interface StorageClientOptions {
  transport: Transport
  /** Any shard cell (its receptor): asked for the shard members. */
  shards: Peer
  /** Any file manager (its receptor): asked for the file-manager members. */
  files: Peer
  random: Random
  now: () => number
  window?: number
  timeoutMs?: number
  /** How chunk puts and gets share messages (chunk-batches.ts); `false`: one message per chunk (the single-chunk kinds). */
  batches?: Partial<Omit<BatchOptions, 'timeoutMs'>> | false
}

export interface PutOptions {
  owner: EnvelopeSigner
  replicas?: number
  name?: string
  mime?: string
  expires?: number
  chunkSize?: number
  /** Encrypt for the owner; needs the plaintext's SHA-256 up front (the file key derives from it). */
  encrypt?: { keys: FileKeys; plaintextSha256: Uint8Array }
  /**
   * `direct` (default): the client sends every copy. `pull`: it sends one, and the other holders
   * pull it from that one (`shard.chunk.fetch`), so the uploader's bytes go out once; a holder
   * that cannot pull gets its copy from the client. docs/storage.md compares the two.
   */
  replication?: Replication
  onProgress?: (bytes: number) => void
}

export type Replication = 'direct' | 'pull'
export const REPLICATIONS: readonly Replication[] = ['direct', 'pull']

export interface PutResult {
  manifest: Manifest
  /** Copies asked for, after capping by the network's size. */
  replicas: number
  /** The network has fewer shard cells than asked for. */
  capped: boolean
  /** Fewest copies any chunk got. */
  fewestCopies: number
  manifestCopies: number
}

export interface GetOptions {
  keys?: FileKeys
  /** Skip the chunks before this one (a resumed download already has them). */
  fromChunk?: number
  onProgress?: (bytes: number) => void
}

export interface GetResult {
  manifest: Manifest
  /** Plaintext bytes written. */
  bytes: number
  /** Chunks that had to be fetched from a holder other than the first ranked one. */
  fallbacks: number
}

/** The receptors of a node's shard and file-manager cells, from its directory (any of its ports answers). */
export async function nodeEntries(transport: Transport, endpoint: string, timeoutMs = 10_000): Promise<{ shards: Peer; files: Peer }> {
  const reply = NODE_CODECS.directoryReply.decode(await request(transport, { endpoint }, NODE_CODECS.directory.encode({}), timeoutMs))
  const recp = (cell: string): Peer => {
    const found = reply.cells[cell]?.recp
    if (!found) throw new BorgError('not-found', `the node at ${endpoint} runs no ${cell} cell (start it with --cells all)`)
    return { endpoint: found, id: reply.nodeId }
  }
  return { shards: recp('shard'), files: recp('files') }
}

export class StorageClient {
  /** The trees' members by id, fetched once per client. */
  private memberMap?: Promise<Map<string, Member>>
  private fileManagerMap?: Promise<Map<string, Member>>
  /** Chunks in flight; undefined: windowFor(the chunk size). */
  private readonly window: number | undefined
  private readonly timeoutMs: number

  /** Chunk messages to each holder, batched; undefined: one message per chunk. */
  readonly batches: ChunkBatches | undefined

  constructor(private readonly options: StorageClientOptions) {
    this.window = options.window
    this.timeoutMs = options.timeoutMs ?? 15_000
    this.batches = options.batches === false ? undefined : new ChunkBatches(options.transport, { ...options.batches, timeoutMs: this.timeoutMs })
  }

  /** One copy of a chunk onto `holder` (in a batch when batching). */
  private putCopy(holder: Peer, hash: string, bytes: Uint8Array): Promise<unknown> {
    if (this.batches) return this.batches.put(holder, hash, bytes)
    return this.ask(holder, { ...SHARD_CODECS.chunkPut.encode(bytes), bodyHash: hexToBytes(hash) })
  }

  /** Chunk `hash` of `length` stored bytes from `holder`, checked against its name and length. */
  private async getCopy(holder: Peer, hash: string, length: number): Promise<Uint8Array> {
    if (this.batches) return this.batches.get(holder, hash, length)
    return chunkOfReply(await this.ask(holder, SHARD_CODECS.chunkGet.encode({ hash })), hash, length)
  }

  /** The shard tree's members by id, from the entry cell (its root, or a deputy or the entry itself when the root is gone); asked once. */
  members(): Promise<Map<string, Member>> {
    if (!this.memberMap) {
      const asked = this.fetchList(this.options.shards, SHARD_KIND.members)
      // A failed ask is not kept: the next call asks again.
      asked.catch(() => (this.memberMap = undefined))
      this.memberMap = asked
    }
    return this.memberMap
  }

  /** The file-manager tree's members by id; asked once. */
  fileManagers(): Promise<Map<string, Member>> {
    if (!this.fileManagerMap) {
      const asked = this.fetchList(this.options.files, FILES_KIND.members)
      asked.catch(() => (this.fileManagerMap = undefined))
      this.fileManagerMap = asked
    }
    return this.fileManagerMap
  }

  private async fetchList(entry: Peer, kind: string): Promise<Map<string, Member>> {
    const fetched = await fetchMemberList(this.options.transport, kind, entry, { timeoutMs: this.timeoutMs })
    if ('unchanged' in fetched) throw new BorgError('bad-reply', `${kind}: unchanged, but no list was named`)
    return new Map(fetched.members.map((m) => [m.id, m]))
  }

  /** Holders that failed to connect or answer during this command: asked last from then on. */
  private readonly suspects = new Set<string>()

  private noteFailure(holder: Peer, error: unknown): void {
    if (holder.id && error instanceof BorgError && (error.code === 'unavailable' || error.code === 'timeout') && !error.details?.remote) this.suspects.add(holder.id)
  }

  /** Ids in rank order, the ones that failed during this command moved to the end. */
  private liveFirst(ranked: string[]): string[] {
    if (this.suspects.size === 0) return ranked
    return [...ranked.filter((id) => !this.suspects.has(id)), ...ranked.filter((id) => this.suspects.has(id))]
  }

  async put(source: AsyncIterable<Uint8Array>, options: PutOptions): Promise<PutResult> {
    // Both lists up front: the node entered by may die during the put (it holds chunks too).
    const [byId, fileManagers] = await Promise.all([this.members(), this.fileManagers()])
    const started = this.options.now()
    const asked = options.replicas ?? DEFAULT_REPLICAS
    if (!(Number.isSafeInteger(asked) && asked >= 1 && asked <= MAX_REPLICAS)) throw new BorgError('invalid-input', `replicas must be 1…${MAX_REPLICAS}`)
    const replicas = Math.min(asked, byId.size)
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE
    const window = this.window ?? windowFor(chunkSize)
    const key = options.encrypt ? fileKey(options.encrypt.keys, options.encrypt.plaintextSha256) : undefined
    const whole = backgroundSha256() // beside the chunk hashing, on a worker
    const chunks: string[] = []
    let size = 0
    let fewest = Infinity
    const inFlight = new Set<Promise<void>>()
    // Uploaded chunks wait here for their turn in the whole-file hash; they then move to its worker
    // without a copy (the upload is done with them).
    const toHash = new Map<number, Uint8Array>()
    let nextToHash = 0
    const hashInOrder = () => {
      for (let bytes = toHash.get(nextToHash); bytes; bytes = toHash.get(nextToHash)) {
        toHash.delete(nextToHash++)
        whole.updateOwned(bytes)
      }
    }
    let failure: unknown
    let index = 0
    for await (const plain of chunksOf(source, chunkSize)) {
      if (failure) break
      const stored = key ? encryptChunk(key, index, plain) : plain
      const hash = bytesToHex(sha256(stored))
      chunks.push(hash)
      size += plain.length
      const at = index++
      const upload: Promise<void> = (options.replication === 'pull' ? this.uploadOnce(hash, stored, replicas, byId) : this.uploadChunk(hash, stored, replicas, byId))
        .then((copies) => {
          fewest = Math.min(fewest, copies)
          options.onProgress?.(plain.length)
          toHash.set(at, stored)
          hashInOrder()
        })
        .catch((error) => void (failure ??= error))
        .finally(() => inFlight.delete(upload))
      inFlight.add(upload)
      // Chunks waiting for their turn in the hash count against the window too, and so do bytes the hash
      // worker has not got to yet: memory stays bounded whatever the file size and the CPU left to the worker.
      while (inFlight.size + toHash.size >= window && inFlight.size > 0) await Promise.race(inFlight)
      await whole.below(WINDOW_BYTES)
    }
    await Promise.all(inFlight)
    if (failure) throw failure
    const ownerId = bytesToHex(options.owner.keyId)
    const content: ManifestContent = { owner: ownerId, size, chunkSize, chunks, sha256: bytesToHex(await whole.digest()), replicas: asked, expires: options.expires }
    if (options.encrypt) {
      const meta = sealMeta(options.encrypt.keys, { sha256: bytesToHex(options.encrypt.plaintextSha256), name: options.name, mime: options.mime })
      content.enc = { alg: ENCRYPTION_ALG, meta }
    } else {
      content.name = options.name
      content.mime = options.mime
    }
    const manifest = signManifest(options.owner, content, this.options.now(), this.options.random)
    const manifestCopies = await this.putManifest(manifest, this.options.now() - started > 30_000 ? undefined : fileManagers, fileManagers)
    return { manifest, replicas, capped: byId.size < asked, fewestCopies: chunks.length === 0 ? replicas : fewest, manifestCopies }
  }

  /**
   * Send a chunk to its `replicas` best-ranked holders, moving down the
   * ranking past refusals and failures (holders that already failed during
   * this put are tried last: a dead one costs one failure, not one per chunk).
   */
  private async uploadChunk(hash: string, bytes: Uint8Array, replicas: number, byId: Map<string, Member>): Promise<number> {
    const holders = this.rankingFor(hash, byId)
    const placed = await holders.place(replicas, (holder) => this.putCopy(holder, hash, bytes))
    if (placed.length === 0) throw holders.noneTook()
    return placed.length
  }

  /**
   * Pull replication: the chunk goes to its best-ranked holder that takes it, and each next holder is
   * asked to pull it from there (its own member list names that holder, so it connects nowhere a
   * client tells it to). A holder that does not pull it gets it from the client, and a holder that
   * fails is replaced by the next in the ranking, as with direct uploads: `replicas` copies either way.
   */
  private async uploadOnce(hash: string, bytes: Uint8Array, replicas: number, byId: Map<string, Member>): Promise<number> {
    const holders = this.rankingFor(hash, byId)
    const [source] = await holders.place(1, (holder) => this.putCopy(holder, hash, bytes))
    if (!source) throw holders.noneTook()
    const pull = SHARD_CODECS.chunkFetch.encode({ chunks: [{ hash, length: bytes.length, from: [{ id: source.id, endpoint: source.endpoint }] }] })
    const pulled = await holders.place(replicas - 1, async (holder) => {
      const reply = SHARD_CODECS.chunkFetchReply.decode(await this.ask(holder, pull))
      if (!reply.stored.includes(hash)) await this.putCopy(holder, hash, bytes) // it could not pull: send it
    })
    return 1 + pulled.length
  }

  /** A chunk's holders, best-ranked first (those that failed during this command last), to place copies on. */
  private rankingFor(hash: string, byId: Map<string, Member>): HolderRanking {
    return new HolderRanking(hash, this.liveFirst(rankHolders(hash, byId.keys()).slice(0, SEARCH_DEPTH)).map((id) => byId.get(id)!), (holder, error) => this.noteFailure(holder, error))
  }

  /** The manifest to its file managers (by id and by owner); they keep each other's copies up afterwards. */
  private async putManifest(manifest: Manifest, recent: Map<string, Member> | undefined, early: Map<string, Member>): Promise<number> {
    // After a long put, a list fetched now if the entry answers (file managers may have come and gone), else the one from the start.
    const byId = recent ?? (await this.fetchList(this.options.files, FILES_KIND.members).catch(() => early))
    const message = FILES_CODECS.put.encode(manifest.bytes)
    const results = await Promise.allSettled(manifestHolders(manifest.id, manifest.owner, byId.keys()).map((id) => this.ask(byId.get(id)!, message)))
    const stored = results.filter((r) => r.status === 'fulfilled').length
    if (stored === 0) {
      const why = results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : '')).filter(Boolean)
      throw new BorgError('unavailable', `no node took the manifest: ${why.slice(0, 3).join('; ')}`)
    }
    return stored
  }

  /** Who served each manifest (a reader asks it to audit the file afterwards). */
  private readonly manifestSources = new Map<string, Peer>()
  /** Manifests fetched and verified: an id names one content, so a command asks only once. */
  private readonly manifests = new Map<string, Manifest>()

  /** The manifest of file `id`, verified to be that file, from the best-ranked holder that has it. */
  async manifest(id: string): Promise<Manifest> {
    const known = this.manifests.get(id)
    if (known) return known
    const byId = await this.fileManagers()
    let lastError: unknown
    // The best-ranked file managers, then the one this client entered by (a file pinned there is kept there).
    const sources = [...rankHolders(id, byId.keys()).slice(0, SEARCH_DEPTH).map((h) => byId.get(h)!), this.options.files]
    for (const source of sources) {
      try {
        const reply = await this.ask(source, FILES_CODECS.get.encode({ id }))
        const manifest = openManifest(FILES_CODECS.getReply.decode(reply), id)
        this.manifests.set(id, manifest)
        this.manifestSources.set(id, source)
        return manifest
      } catch (error) {
        lastError = error
        if (error instanceof BorgError && error.code === 'invalid-input') throw error
      }
    }
    if (lastError instanceof BorgError && lastError.code !== 'not-found') throw new BorgError('unavailable', `no holder of file ${id} answered: ${lastError.message}`)
    throw new BorgError('not-found', `no file ${id} in this network`)
  }

  async get(id: string, sink: (bytes: Uint8Array) => Promise<void> | void, options: GetOptions = {}): Promise<GetResult> {
    const manifest = await this.manifest(id)
    const byId = await this.members()
    let key: Uint8Array | undefined
    if (manifest.enc) {
      if (!options.keys) throw new BorgError('refused', `file ${id} is encrypted: its owner's identity is needed to read it`)
      key = this.fileKeyOf(manifest, options.keys)
    }
    const from = options.fromChunk ?? 0
    // Each byte is hashed once: every chunk is checked against its name and length, and the owner
    // signed the manifest that lists the chunks in order, so verified chunks are the owner's file
    // byte for byte (encrypted ones are also authenticated by AES-GCM). The whole-file hash in the
    // manifest is computed at put; a second pass over every byte here would add no assurance.
    let fallbacks = 0
    let written = 0
    const indexes = Array.from({ length: Math.max(0, manifest.chunks.length - from) }, (_, k) => from + k)
    const sources = new SourceOrders()
    const reports: Promise<boolean>[] = []
    // The DStream pull engine, in order: a window of chunks in flight, each from its best-ranked
    // holder first and from the next ones on a retry, handed to the sink in order.
    await pullWindow({
      indexes,
      window: this.window ?? windowFor(manifest.chunkSize),
      attempts: this.sourcesPerChunk(byId),
      ordered: true,
      fetch: async (i, attempt) => {
        const bytes = await this.fetchFrom(manifest, i, sources.of(i, attempt, () => this.sourcesOf(manifest.chunks[i]!, byId)), attempt, (report) => reports.push(report))
        sources.done(i)
        if (attempt > 0) fallbacks++
        return bytes
      },
      failure: (i, errors) => this.lostChunk(manifest, i, errors),
      deliver: async (i, stored) => {
        const plain = key ? decryptChunk(key, i, stored) : stored
        await sink(plain)
        written += plain.length
        options.onProgress?.(plain.length)
      },
    })
    // Holders told of a bad copy answer first (a few seconds at most), so the audit below finds it dropped.
    await Promise.all(reports)
    // Every read is an audit: the manifest's holder counts the live copies and repairs (one-way, in the background).
    this.askAudit(id)
    return { manifest, bytes: written, fallbacks }
  }

  /** Ask the file manager that served the manifest to audit the file now (one-way; its answer is not waited for beyond the delivery). */
  private askAudit(id: string): Promise<void> {
    const source = this.manifestSources.get(id)
    return source ? deliver(this.options.transport, source, FILES_CODECS.audit.encode({ id }), 5_000).catch(() => {}) : Promise.resolve()
  }

  /**
   * Plaintext chunk `index` of a file, verified (and decrypted with `keys` when
   * the file is encrypted): what a range reader needs, one chunk at a time.
   */
  async chunk(manifest: Manifest, index: number, keys?: FileKeys): Promise<Uint8Array> {
    if (!(Number.isSafeInteger(index) && index >= 0 && index < manifest.chunks.length)) throw new BorgError('invalid-input', `file ${manifest.id} has no chunk ${index}`)
    const byId = await this.members()
    const sources = new SourceOrders()
    // A bad copy reported and dropped: the file's audit makes up a good one.
    const onReport = (report: Promise<boolean>) => void report.then((dropped) => (dropped ? this.askAudit(manifest.id) : undefined))
    const bytes = await fetchWithRetries(
      {
        attempts: this.sourcesPerChunk(byId),
        fetch: (i, attempt) => this.fetchFrom(manifest, i, sources.of(i, attempt, () => this.sourcesOf(manifest.chunks[i]!, byId)), attempt, onReport),
        failure: (i, errors) => this.lostChunk(manifest, i, errors),
      },
      index,
    )
    if (!manifest.enc) return bytes
    if (!keys) throw new BorgError('refused', `file ${manifest.id} is encrypted: its owner's identity is needed to read it`)
    return decryptChunk(this.fileKeyOf(manifest, keys), index, bytes)
  }

  private readonly fileKeys = new Map<string, Uint8Array>()

  private fileKeyOf(manifest: Manifest, keys: FileKeys): Uint8Array {
    let key = this.fileKeys.get(manifest.id)
    if (!key) this.fileKeys.set(manifest.id, (key = fileKeyFromMeta(keys, manifest.enc!.meta)))
    return key
  }

  /** The best-ranked holders, then the shard cell this client entered by (it may have the file pinned). */
  private sourcesPerChunk(byId: Map<string, Member>): number {
    return Math.min(SEARCH_DEPTH, byId.size) + 1
  }

  /** Where to ask for a chunk, in order: its best-ranked holders (those that failed during this command last), then the entry cell. */
  private sourcesOf(hash: string, byId: Map<string, Member>): Peer[] {
    return [...this.liveFirst(this.rankingOf(hash, byId)).map((id) => byId.get(id)!), this.options.shards]
  }

  /** Chunk `index` from the source at place `attempt` of `sources`, checked against its name and length. */
  private async fetchFrom(manifest: Manifest, index: number, sources: Peer[], attempt: number, onReport: (report: Promise<boolean>) => void): Promise<Uint8Array> {
    const hash = manifest.chunks[index]!
    const holder = sources[attempt]
    if (!holder) throw new BorgError('unavailable', 'no more holders to ask')
    try {
      return await this.getCopy(holder, hash, storedChunkLength(manifest, index))
    } catch (error) {
      this.noteFailure(holder, error)
      if (servedBadBytes(error)) onReport(this.reportCorrupt(holder, hash))
      throw new BorgError(error instanceof BorgError ? error.code : 'unavailable', `${holder.endpoint}: ${(error as Error).message}`)
    }
  }

  /** Chunks already reported to a holder by this client (once is enough). */
  private readonly reported = new Set<string>()

  /** Tell a holder its copy of `hash` came out wrong: it hashes it again and drops it if it is bad. Resolves to whether it dropped one. */
  private reportCorrupt(holder: Peer, hash: string): Promise<boolean> {
    const key = `${holder.id ?? holder.endpoint}/${hash}`
    if (this.reported.has(key)) return Promise.resolve(false)
    if (this.reported.size > 65_536) this.reported.clear()
    this.reported.add(key)
    return request(this.options.transport, holder, SHARD_CODECS.chunkCorrupt.encode({ hash }), REPORT_TIMEOUT_MS)
      .then((reply) => SHARD_CODECS.chunkCorruptReply.decode(reply).dropped)
      .catch(() => false)
  }

  private readonly rankings = new Map<string, string[]>()

  /** A chunk's best-ranked holders (kept: retries and audits ask again). */
  private rankingOf(hash: string, byId: Map<string, Member>): string[] {
    let ranked = this.rankings.get(hash)
    if (!ranked) {
      if (this.rankings.size > 65_536) this.rankings.clear() // bounded: a huge file must not grow memory
      this.rankings.set(hash, (ranked = rankHolders(hash, byId.keys()).slice(0, SEARCH_DEPTH)))
    }
    return ranked
  }

  private lostChunk(manifest: Manifest, index: number, errors: string[]): BorgError {
    return new BorgError('unavailable', `chunk ${index} (${manifest.chunks[index]!.slice(0, 16)}…) of file ${manifest.id} is on no live holder: ${errors.slice(0, 3).join('; ')}`)
  }

  /**
   * Pin a file on the entry node (only its own key may): it keeps every chunk
   * of the file and never collects them while pinned.
   */
  async pin(id: string, timeoutMs = 3_600_000): Promise<PinReply> {
    const manifest = await this.manifest(id)
    const reply = await request(this.options.transport, this.options.shards, SHARD_CODECS.pin.encode(manifest.bytes), timeoutMs)
    // The entry node's file manager keeps the manifest too, so the file stays readable through this node alone.
    await this.ask(this.options.files, FILES_CODECS.put.encode(manifest.bytes))
    return SHARD_CODECS.pinReply.decode(reply)
  }

  async unpin(id: string): Promise<boolean> {
    return SHARD_CODECS.unpinReply.decode(await this.ask(this.options.shards, SHARD_CODECS.unpin.encode({ id }))).unpinned
  }

  /** Distinct holders among the best-ranked that have each chunk (what `borg shard stat` shows). */
  async holders(manifest: Manifest): Promise<string[][]> {
    const byId = await this.members()
    const perHolder = new Map<string, number[]>()
    manifest.chunks.forEach((hash, i) => {
      for (const id of rankHolders(hash, byId.keys()).slice(0, SEARCH_DEPTH)) {
        let list = perHolder.get(id)
        if (!list) perHolder.set(id, (list = []))
        list.push(i)
      }
    })
    const found: string[][] = manifest.chunks.map(() => [])
    await Promise.all(
      [...perHolder].map(async ([id, indexes]) => {
        for (let start = 0; start < indexes.length; start += MAX_HAS) {
          const slice = indexes.slice(start, start + MAX_HAS)
          try {
            const { have } = SHARD_CODECS.chunkHasReply.decode(await this.ask(byId.get(id)!, SHARD_CODECS.chunkHas.encode({ hashes: slice.map((i) => manifest.chunks[i]!) })))
            slice.forEach((i, k) => have[k] && found[i]!.push(id))
          } catch {
            // a silent holder holds nothing we can count on
          }
        }
      }),
    )
    return found
  }

  /** The owner's files, from the holders of the owner's index. */
  async list(owner: string): Promise<string[]> {
    const byId = await this.fileManagers()
    const ids = new Set<string>()
    const results = await Promise.allSettled(
      rankHolders(ownerIndexKey(owner), byId.keys())
        .slice(0, MANIFEST_COPIES)
        .map((h) => this.ask(byId.get(h)!, FILES_CODECS.list.encode({ owner }))),
    )
    let answered = 0
    for (const r of results) {
      if (r.status !== 'fulfilled') continue
      answered++
      for (const id of FILES_CODECS.listReply.decode(r.value).ids) ids.add(id)
    }
    if (answered === 0) throw new BorgError('unavailable', 'no holder of your file list answered')
    return [...ids]
  }

  /**
   * Remove a file: the owner's signed removal goes to every file manager that
   * may keep its manifest; they keep it as a tombstone and pass it on, so a
   * copy that missed it is dropped later. Only a removal signed by the file's
   * owner counts; anyone else's is refused.
   */
  async remove(id: string, owner: EnvelopeSigner): Promise<number> {
    const manifest = await this.manifest(id)
    const byId = await this.fileManagers()
    const targets = new Set([...rankHolders(id, byId.keys()).slice(0, SEARCH_DEPTH), ...rankHolders(ownerIndexKey(manifest.owner), byId.keys()).slice(0, MANIFEST_COPIES)])
    const removal = signRemoval(owner, id, this.options.now(), this.options.random)
    const message = FILES_CODECS.rm.encode(removal.bytes)
    let removed = 0
    let refusal: BorgError | undefined
    await Promise.all(
      [...targets].map(async (h) => {
        try {
          if (FILES_CODECS.rmReply.decode(await this.ask(byId.get(h)!, message)).removed) removed++
        } catch (error) {
          if (error instanceof BorgError && error.code === 'refused') refusal = error
        }
      }),
    )
    if (refusal && removed === 0) throw refusal
    return removed
  }

  private ask(peer: Peer, message: Parameters<typeof request>[2]): Promise<Incoming> {
    return request(this.options.transport, peer, message, this.timeoutMs)
  }
}

/** Each chunk's sources, fixed at its first attempt so its retries walk one list. */
class SourceOrders {
  private readonly orders = new Map<number, Peer[]>()

  of(index: number, attempt: number, compute: () => Peer[]): Peer[] {
    let order = attempt === 0 ? undefined : this.orders.get(index)
    if (!order) this.orders.set(index, (order = compute()))
    return order
  }

  done(index: number): void {
    this.orders.delete(index)
  }
}

/** The holder's reply carried bytes that are not the chunk asked for (its copy is bad), as opposed to no reply at all. */
export function servedBadBytes(error: unknown): boolean {
  if (!(error instanceof BorgError) || error.details?.remote) return false
  if (error.code === 'body-hash-mismatch') return true
  const cause = (error as { cause?: unknown }).cause
  return error.code === 'bad-reply' && cause instanceof BorgError && cause.code === 'body-hash-mismatch'
}

/**
 * Moves down a chunk's ranking, one cursor shared by every placement: each
 * worker takes the next holder only when its own failed, so exactly the
 * number asked for succeed when enough holders are there.
 */
class HolderRanking {
  private next = 0
  private readonly errors: string[] = []

  constructor(
    private readonly hash: string,
    private readonly ranked: Member[],
    private readonly onFailure: (holder: Member, error: unknown) => void,
  ) {}

  /** Up to `want` holders on which `copy` succeeded, in the order they were placed. */
  async place(want: number, copy: (holder: Member) => Promise<unknown>): Promise<Member[]> {
    const placed: Member[] = []
    let pending = 0
    const worker = async (): Promise<void> => {
      while (placed.length + pending < want && this.next < this.ranked.length) {
        const holder = this.ranked[this.next++]!
        pending++
        try {
          await copy(holder)
          placed.push(holder)
        } catch (error) {
          this.onFailure(holder, error)
          this.errors.push(`${holder.endpoint}: ${(error as Error).message}`)
        } finally {
          pending--
        }
      }
    }
    await Promise.all(Array.from({ length: want }, worker))
    return placed
  }

  noneTook(): BorgError {
    return new BorgError('unavailable', `no holder took chunk ${this.hash.slice(0, 16)}…: ${this.errors.slice(0, 3).join('; ')}`)
  }
}
