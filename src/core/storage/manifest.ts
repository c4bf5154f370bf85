/**
 * The manifest: what a stored file is made of, signed by its owner
 * (docs/protocol.md, "Manifests"). It is a signed envelope (§2 of the
 * protocol) of kind `shard.manifest`, no target, a JSON body, signed by the
 * owner's identity; its timestamp is the creation time.
 *
 * The file id is the SHA-256 of the manifest's body (the envelope's body hash).
 * The body holds only what the file is (owner, sizes, chunk hashes, whole-file
 * hash, name, type, expiry), not when it was signed, so the same bytes put
 * twice by the same owner with the same options get the same id, and an id
 * names exactly one content: a manifest that does not hash to the id asked for
 * is refused.
 */
import { BorgError } from '../errors.js'
import { bytesToHex, utf8 } from '../bytes.js'
import { open, sealToBytes, type EnvelopeSigner } from '../envelope/seal.js'
import { documentJson } from '../envelope/document.js'
import { BodyType } from '../wire/message.js'
import type { Random } from '../wire/random.js'
import { MAX_CHUNK_SIZE, MIN_CHUNK_SIZE, chunkCount } from './chunking.js'
import { ENCRYPTION_ALG, TAG_BYTES } from './file-crypto.js'
import { isSha256Hex } from './names.js'
import { isKeyIdHex } from '../crypto/key-id.js'

export const MANIFEST_KIND = 'shard.manifest'
export const MANIFEST_VERSION = 1
/** Largest manifest accepted: 2^20 chunks (1 TiB at the default chunk size) fit in about 70 MB. */
export const MAX_MANIFEST_CHUNKS = 1 << 20
/** The most copies a manifest may ask for. */
export const MAX_MANIFEST_REPLICAS = 8
const MAX_NAME_BYTES = 255
const MAX_MIME_BYTES = 127
const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*(?:;[ -~]*)?$/i

export interface ManifestContent {
  /** Owner's key id, hex (algorithm byte + public key): the signer. */
  owner: string
  /** Plaintext size in bytes. */
  size: number
  chunkSize: number
  /** SHA-256 of each stored chunk, hex, in order (encrypted chunks: of the ciphertext). */
  chunks: string[]
  /** SHA-256 of all stored chunks' bytes in order: the file itself, or its ciphertext when encrypted. */
  sha256: string
  /** Copies of every chunk the owner asked for: what audits keep up (absent: 3). */
  replicas?: number
  name?: string
  mime?: string
  /** Unix ms after which holders may drop the file. */
  expires?: number
  /** Present when the chunks are encrypted: name, MIME type and plaintext hash are sealed in `meta`. */
  enc?: { alg: typeof ENCRYPTION_ALG; meta: Uint8Array }
}

export interface Manifest extends ManifestContent {
  /** SHA-256 of the body, hex: the file id. */
  id: string
  /** Creation time: the envelope's timestamp, Unix ms. */
  created: number
  /** The signed envelope, as stored and served. */
  bytes: Uint8Array
}

/** Byte length of stored chunk `index`. */
export function storedChunkLength(m: Pick<ManifestContent, 'size' | 'chunkSize' | 'enc'>, index: number): number {
  const plain = Math.min(m.chunkSize, m.size - index * m.chunkSize)
  return plain + (m.enc ? TAG_BYTES : 0)
}

/** The body bytes, keys in the documented order, no whitespace. */
export function manifestBody(c: ManifestContent): Uint8Array {
  const body: Record<string, unknown> = { v: MANIFEST_VERSION, owner: c.owner, size: c.size, chunkSize: c.chunkSize, sha256: c.sha256, chunks: c.chunks }
  if (c.replicas !== undefined) body.replicas = c.replicas
  if (c.name !== undefined) body.name = c.name
  if (c.mime !== undefined) body.mime = c.mime
  if (c.expires !== undefined) body.expires = c.expires
  if (c.enc) body.enc = { alg: c.enc.alg, meta: Buffer.from(c.enc.meta).toString('base64') }
  return utf8.encode(JSON.stringify(body))
}

export function signManifest(signer: EnvelopeSigner, content: ManifestContent, created: number, random: Random): Manifest {
  if (bytesToHex(signer.keyId) !== content.owner) throw new BorgError('invalid-input', 'a manifest must be signed by its owner')
  validate(content)
  const body = manifestBody(content)
  const bytes = sealToBytes(signer, { kind: MANIFEST_KIND, body, bodyType: BodyType.json }, { timestamp: created, random })
  return openManifest(bytes)
}

/**
 * Decode and verify a stored manifest: signature, body hash, kind, strict
 * body, owner = signer, and (when given) that it is the file `expectedId`.
 */
export function openManifest(bytes: Uint8Array, expectedId?: string): Manifest {
  const { header, body } = open(bytes)
  const id = bytesToHex(header.bodyHash)
  if (expectedId !== undefined && id !== expectedId) throw new BorgError('body-hash-mismatch', `manifest is file ${id}, not ${expectedId}`)
  const content = parseContent(documentJson(header, body, MANIFEST_KIND, 'manifest'))
  if (content.owner !== bytesToHex(header.sender)) throw new BorgError('malformed', 'manifest owner is not its signer')
  return { ...content, id, created: header.timestamp, bytes }
}

function bad(what: string): never {
  throw new BorgError('malformed', `malformed manifest: ${what}`)
}

function parseContent(raw: unknown): ManifestContent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad('body is not an object')
  const b = raw as Record<string, unknown>
  if (b.v !== MANIFEST_VERSION) bad(`unsupported version ${JSON.stringify(b.v)}`)
  const int = (v: unknown, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number =>
    typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max ? v : bad(what)
  const owner = isKeyIdHex(b.owner) ? b.owner : bad('owner')
  const content: ManifestContent = {
    owner,
    size: int(b.size, 'size', 0),
    chunkSize: int(b.chunkSize, 'chunkSize', MIN_CHUNK_SIZE, MAX_CHUNK_SIZE),
    sha256: isSha256Hex(b.sha256) ? b.sha256 : bad('sha256'),
    chunks: Array.isArray(b.chunks) && b.chunks.length <= MAX_MANIFEST_CHUNKS ? b.chunks.map((c) => (isSha256Hex(c) ? c : bad('chunk hash'))) : bad('chunks'),
  }
  if (b.replicas !== undefined) content.replicas = int(b.replicas, 'replicas', 1, MAX_MANIFEST_REPLICAS)
  if (b.name !== undefined) content.name = typeof b.name === 'string' ? b.name : bad('name')
  if (b.mime !== undefined) content.mime = typeof b.mime === 'string' ? b.mime : bad('mime')
  if (b.expires !== undefined) content.expires = int(b.expires, 'expires', 0)
  if (b.enc !== undefined) {
    const e = b.enc as Record<string, unknown>
    if (typeof e !== 'object' || e === null || e.alg !== ENCRYPTION_ALG || typeof e.meta !== 'string') bad('enc')
    content.enc = { alg: ENCRYPTION_ALG, meta: new Uint8Array(Buffer.from(e.meta as string, 'base64')) }
  }
  validate(content)
  return content
}

function validate(c: ManifestContent): void {
  if (c.replicas !== undefined && !(Number.isSafeInteger(c.replicas) && c.replicas >= 1 && c.replicas <= MAX_MANIFEST_REPLICAS)) bad('replicas')
  if (c.chunks.length !== chunkCount(c.size, c.chunkSize)) bad(`${c.chunks.length} chunks for ${c.size} bytes in chunks of ${c.chunkSize}`)
  if (c.name !== undefined && (utf8.encode(c.name).length > MAX_NAME_BYTES || /[\u0000-\u001f\u007f]/.test(c.name))) bad('name (at most 255 bytes, no control characters)')
  if (c.mime !== undefined && (c.mime.length > MAX_MIME_BYTES || !MIME.test(c.mime))) bad('mime')
  if (c.enc && (c.name !== undefined || c.mime !== undefined)) bad('an encrypted manifest keeps name and type sealed')
}
