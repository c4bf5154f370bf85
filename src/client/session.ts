/**
 * What the `borg shard …` commands run (the commands only parse and print):
 * finding the shard cell to ask (the local node's, or --node HOST:PORT), the
 * keys (the identity owns and signs; the node key carries reads), resumable
 * downloads into a file, and the owner's view of their files.
 */
import { createReadStream } from 'node:fs'
import { open, rename, rm, stat, readFile } from 'node:fs/promises'
import { writeFileAtomic } from '../core/store/atomic-file.js'
import { BorgError } from '../core/errors.js'
import { bytesToHex, hexToBytes } from '../core/bytes.js'
import { sha256, sha256Stream } from '../core/crypto/hash.js'
import { ALG_SECP256K1, keyId } from '../core/crypto/key-id.js'
import { showIdentity, unlockIdentity } from '../core/identity/identity.js'
import { loadOrCreateNodeKey } from '../core/identity/node-key.js'
import { keystorePassphrase, type SecretInput } from '../core/identity/secret-input.js'
import { identitySigner, nodeSigner, type Signer } from '../core/identity/signer.js'
import { silentLogger } from '../core/log.js'
import { HttpsTransport } from '../core/net/https-transport.js'
import { localCell, readRunning } from '../core/node/running-file.js'
import { chunkLength } from '../core/storage/chunking.js'
import { encryptChunk, fileKeyFromMeta, fileKeysFromIdentity, openMeta, type FileKeys } from '../core/storage/file-crypto.js'
import type { Manifest } from '../core/storage/manifest.js'
import { cryptoRandom } from '../core/crypto/random.js'
import type { Peer } from '../core/wire/transport.js'
import { StorageClient, nodeEntries, type PutResult, type Replication } from './storage-client.js'
import { MAX_BATCH_CHUNKS } from '../cells/shard/messages.js'
import { checkFileId } from '../core/storage/names.js'

export interface SessionOptions {
  home: string
  /** HOST:PORT of any shard cell; default: the shard cell of the node running from `home`. */
  node?: string
  /** Act as the identity (it owns puts, unlocks encrypted reads) or only the node key (plain reads). */
  as: 'identity' | 'node'
  input: SecretInput
  env?: NodeJS.ProcessEnv
}

export interface Session {
  client: StorageClient
  signer: Signer
  /** File keys of the identity (only when signing as the identity). */
  keys?: FileKeys
  close(): Promise<void>
}

/** The shard cell and file manager to ask first: the local node's, or those of the node at --node. */
async function entryPeers(home: string, node: string | undefined, transport: HttpsTransport): Promise<{ shards: Peer; files: Peer }> {
  if (node) return nodeEntries(transport, node)
  const running = await readRunning(home).catch((error: unknown) => {
    throw new BorgError('not-found', `no node is running from ${home} (start one with "borg node join", or pass --node HOST:PORT): ${(error as Error).message}`)
  })
  const cell = (name: string): Peer => {
    const found = localCell(running, name)
    if (!found) throw new BorgError('not-found', `the node running from ${home} has no ${name} cell (start it with --cells all)`)
    return { endpoint: found.recp, id: running.nodeId }
  }
  return { shards: cell('shard'), files: cell('files') }
}

export async function openSession(options: SessionOptions): Promise<Session> {
  const node = nodeSigner(await loadOrCreateNodeKey(options.home))
  let signer: Signer = node
  let keys: FileKeys | undefined
  if (options.as === 'identity') {
    const passphrase = await keystorePassphrase(options.input, options.env ?? process.env, { confirm: false })
    const unlocked = await unlockIdentity(options.home, passphrase)
    unlocked.seed.fill(0)
    signer = identitySigner(unlocked.key)
    keys = fileKeysFromIdentity(unlocked.key.secretKey)
    unlocked.key.secretKey.fill(0)
  }
  const transport = new HttpsTransport({ signer: node, log: silentLogger, timeoutMs: 30_000 })
  const windowText = (options.env ?? process.env).BORG_SHARD_WINDOW
  const window = windowText === undefined ? undefined : Number(windowText)
  if (window !== undefined && !(Number.isSafeInteger(window) && window >= 1 && window <= 256)) throw new BorgError('usage', 'BORG_SHARD_WINDOW must be a whole number of chunks, 1 to 256')
  // BORG_SHARD_BATCH=N[/M]: at most N chunks per message, M messages in flight per holder.
  const batchText = (options.env ?? process.env).BORG_SHARD_BATCH
  const [batch, inFlight] = batchText === undefined ? [undefined, undefined] : batchText.split('/').map(Number)
  if (batch !== undefined && !(Number.isSafeInteger(batch) && batch >= 0 && batch <= MAX_BATCH_CHUNKS && (inFlight === undefined || (Number.isSafeInteger(inFlight) && inFlight >= 1 && inFlight <= 64)))) {
    throw new BorgError('usage', `BORG_SHARD_BATCH must be N or N/M: at most N chunks per message (0: one message per chunk, up to ${MAX_BATCH_CHUNKS}), M messages in flight per holder (1 to 64)`)
  }
  const entries = await entryPeers(options.home, options.node, transport).catch(async (error: unknown) => {
    await transport.close()
    throw error
  })
  const batches = batch === undefined ? undefined : batch === 0 ? false : { maxChunks: batch, ...(inFlight === undefined ? {} : { inFlight }) }
  const client = new StorageClient({ transport, ...entries, random: cryptoRandom, now: () => Date.now(), window, batches })
  return { client, signer, keys, close: () => transport.close() }
}

/** Whether this home has an identity (reads as the identity need one). */
export async function hasIdentity(home: string): Promise<boolean> {
  return showIdentity(home).then(
    () => true,
    () => false,
  )
}

/**
 * Who a read acts as, the same for `shard get`, `shard ls`, `stream get` and `stream serve`: the identity when asked
 * (`--identity`), or when this home has one and BORG_PASSPHRASE is set (unlocking then costs no prompt);
 * otherwise the node key, which reads every file that is not encrypted.
 */
export async function readerRole(home: string, askedForIdentity: boolean, env: NodeJS.ProcessEnv = process.env): Promise<'identity' | 'node'> {
  if (askedForIdentity) return 'identity'
  return env.BORG_PASSPHRASE !== undefined && (await hasIdentity(home)) ? 'identity' : 'node'
}

/** The identity's key id without unlocking it (for `ls`). */
export async function ownerId(home: string): Promise<string> {
  const summary = await showIdentity(home)
  return bytesToHex(keyId(ALG_SECP256K1, hexToBytes(summary.publicKey)))
}

// ------------------------------------------------------------------------ put

export interface PutFileOptions {
  /** A file path, or '-' for stdin. */
  path: string
  replicas?: number
  encrypt?: boolean
  name?: string
  mime?: string
  expires?: number
  chunkSize?: number
  replication?: Replication
  onProgress?: (done: number, total?: number) => void
}

async function* stdinChunks(): AsyncGenerator<Uint8Array> {
  for await (const piece of process.stdin) yield piece as Buffer
}

export async function putFile(session: Session, options: PutFileOptions): Promise<PutResult> {
  const fromStdin = options.path === '-'
  let total: number | undefined
  if (!fromStdin) {
    const info = await stat(options.path).catch((error: NodeJS.ErrnoException) => {
      throw new BorgError(error.code === 'ENOENT' ? 'not-found' : 'invalid-input', `cannot read ${options.path}: ${error.message}`)
    })
    if (!info.isFile()) throw new BorgError('invalid-input', `${options.path} is not a regular file`)
    total = info.size
  }
  let encrypt: { keys: FileKeys; plaintextSha256: Uint8Array } | undefined
  let source: AsyncIterable<Uint8Array> = fromStdin ? stdinChunks() : createReadStream(options.path, { highWaterMark: 1 << 20 })
  if (options.encrypt) {
    if (!session.keys) throw new BorgError('usage', 'encryption needs the identity')
    // The file key derives from the plaintext's hash: read it once to hash, once to send (stdin is spooled in memory).
    if (fromStdin) {
      const parts: Uint8Array[] = []
      for await (const p of stdinChunks()) parts.push(p)
      const all = Buffer.concat(parts)
      total = all.length
      encrypt = { keys: session.keys, plaintextSha256: sha256(all) }
      source = (async function* () {
        yield all
      })()
    } else {
      const h = sha256Stream()
      for await (const p of createReadStream(options.path, { highWaterMark: 1 << 20 })) h.update(p as Buffer)
      encrypt = { keys: session.keys, plaintextSha256: h.digest() }
    }
  }
  let done = 0
  return session.client.put(source, {
    owner: session.signer,
    replicas: options.replicas,
    name: options.name ?? (fromStdin ? undefined : options.path.split('/').pop()),
    mime: options.mime,
    expires: options.expires,
    chunkSize: options.chunkSize,
    replication: options.replication,
    encrypt,
    onProgress: (bytes) => options.onProgress?.((done += bytes), total),
  })
}

// ------------------------------------------------------------------------ get

export interface GetFileOptions {
  id: string
  /** Write here (resumable through `<out>.borg-part`); stdout when absent. */
  out?: string
  onProgress?: (done: number, total: number) => void
  write?: (bytes: Uint8Array) => Promise<void> | void
}

export interface GetFileResult {
  id: string
  bytes: number
  resumedFrom: number
  fallbacks: number
  manifest: Manifest
}

export async function getFile(session: Session, options: GetFileOptions): Promise<GetFileResult> {
  const id = checkFileId(options.id)
  const manifest = await session.client.manifest(id)
  if (manifest.enc && !session.keys) throw new BorgError('refused', `file ${id} is encrypted: reading it needs the owner's identity: run again with --identity (it asks for the passphrase unless BORG_PASSPHRASE is set)`)
  let done = 0
  const progress = (n: number) => options.onProgress?.((done += n), manifest.size)
  if (!options.out) {
    const write = options.write ?? ((b: Uint8Array) => writeStdout(b))
    const result = await session.client.get(id, write, { keys: session.keys, onProgress: progress })
    return { id, bytes: result.bytes, resumedFrom: 0, fallbacks: result.fallbacks, manifest }
  }
  const part = `${options.out}.borg-part`
  const fromChunk = await verifiedPrefix(part, manifest, session.keys)
  const resumedFrom = Math.min(manifest.size, fromChunk * manifest.chunkSize)
  done = resumedFrom
  // Which file the part belongs to, written before any byte of it: a get killed at any moment resumes.
  if (fromChunk === 0) await writeFileAtomic(`${part}.json`, JSON.stringify({ id }), 0o644)
  const handle = await open(part, fromChunk === 0 ? 'w' : 'r+', 0o644)
  try {
    await handle.truncate(resumedFrom)
    let position = resumedFrom
    const result = await session.client.get(
      id,
      async (b) => {
        await handle.write(b, 0, b.length, position)
        position += b.length
      },
      { keys: session.keys, fromChunk, onProgress: progress },
    )
    await handle.sync()
    await handle.close()
    // Every chunk fetched was checked against its name; a resumed file is checked whole, since its first part came from disk.
    if (fromChunk > 0) await checkWholeFile(part, manifest, session.keys)
    await rename(part, options.out)
    await rm(`${part}.json`, { force: true })
    return { id, bytes: result.bytes + resumedFrom, resumedFrom, fallbacks: result.fallbacks, manifest }
  } catch (error) {
    await handle.close().catch(() => {})
    // What arrived stays (re-verified on resume).
    throw error
  }
}

function writeStdout(bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(bytes, (error) => (error ? reject(error) : resolve()))
  })
}

/** How many leading chunks of an earlier partial download are intact (re-hashed, not trusted). */
async function verifiedPrefix(part: string, manifest: Manifest, keys?: FileKeys): Promise<number> {
  const marker = await readFile(`${part}.json`, 'utf8').catch(() => undefined)
  if (!marker || (JSON.parse(marker) as { id?: string }).id !== manifest.id) return 0
  const handle = await open(part, 'r').catch(() => undefined)
  if (!handle) return 0
  try {
    const key = manifest.enc && keys ? fileKeyFromMeta(keys, manifest.enc.meta) : undefined
    let verified = 0
    for (let i = 0; i < manifest.chunks.length; i++) {
      const length = chunkLength(i, manifest.size, manifest.chunkSize)
      const buffer = new Uint8Array(length)
      const { bytesRead } = await handle.read(buffer, 0, length, i * manifest.chunkSize)
      if (bytesRead !== length) break
      const stored = key ? encryptChunk(key, i, buffer) : buffer
      if (bytesToHex(sha256(stored)) !== manifest.chunks[i]) break
      verified++
    }
    return verified
  } finally {
    await handle.close()
  }
}

/** The finished file, hashed again as a whole: what was resumed is checked like what was fetched. */
async function checkWholeFile(path: string, manifest: Manifest, keys?: FileKeys): Promise<void> {
  const h = sha256Stream()
  for await (const p of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(p as Buffer)
  const actual = bytesToHex(h.digest())
  const expected = manifest.enc && keys ? openMeta(keys, manifest.enc.meta).sha256 : manifest.sha256
  if (actual !== expected) throw new BorgError('body-hash-mismatch', `${path} does not match the file's hash (${expected.slice(0, 16)}…); run the get again`)
}

// ------------------------------------------------------------------- ls, stat

export interface FileRow {
  id: string
  name: string | null
  size: number
  created: string
  encrypted: boolean
  /** Fewest live copies of any chunk (checked now). */
  health: number
}

export async function listFiles(session: Session, owner: string, keys?: FileKeys): Promise<FileRow[]> {
  const ids = await session.client.list(owner)
  const rows: FileRow[] = []
  for (const id of ids) {
    const m = await session.client.manifest(id).catch(() => undefined)
    if (!m) continue
    const holders = await session.client.holders(m)
    const name = m.enc ? (keys ? (openMeta(keys, m.enc.meta).name ?? null) : null) : (m.name ?? null)
    rows.push({ id, name, size: m.size, created: new Date(m.created).toISOString(), encrypted: !!m.enc, health: holders.length === 0 ? 0 : Math.min(...holders.map((h) => h.length)) })
  }
  return rows.sort((a, b) => a.created.localeCompare(b.created))
}

export async function statFile(session: Session, id: string): Promise<{ manifest: Manifest; chunks: { index: number; hash: string; bytes: number; holders: string[] }[] }> {
  const manifest = await session.client.manifest(checkFileId(id))
  const holders = await session.client.holders(manifest)
  return { manifest, chunks: manifest.chunks.map((hash, index) => ({ index, hash, bytes: chunkLength(index, manifest.size, manifest.chunkSize), holders: holders[index]! })) }
}
