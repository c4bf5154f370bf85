/**
 * fStream: a stored file served over local HTTP with `Range` support, so a
 * browser, `mpv` or `ffplay` can start playing while later chunks are still
 * being fetched (`borg stream serve ID`). Each request fetches only the chunks
 * its range overlaps, in order, a few ahead of the one being written, every
 * one verified against its name before a byte of it is sent. respondWithFile
 * is shared with the fstream cell's `/files/ID` route (src/cells/fstream/).
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { BorgError } from '../core/errors.js'
import type { FileKeys } from '../core/storage/file-crypto.js'
import { openMeta } from '../core/storage/file-crypto.js'
import type { Manifest } from '../core/storage/manifest.js'
import type { PlainRequest, PlainResponse } from '../core/cell/plain-http.js'
import { plainExchange } from '../core/net/plain-http-node.js'
import type { StorageClient } from './storage-client.js'

/** Chunks fetched ahead of the one being sent. */
const READ_AHEAD = 4

export interface RangeServerOptions {
  host?: string
  port?: number
  keys?: FileKeys
  log?: (line: string) => void
}

export interface ByteRange {
  start: number
  /** Inclusive. */
  end: number
}

/**
 * Parse a `Range` header for a file of `size` bytes (RFC 9110 §14.1.2, one
 * range). undefined: no range (the whole file); 'unsatisfiable': 416.
 * Several ranges are answered with the first (allowed: a server may ignore Range).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined
  const m = /^bytes=(\d*)-(\d*)(?:,.*)?$/.exec(header.trim())
  if (!m || (m[1] === '' && m[2] === '')) return undefined // malformed: ignore, serve it all
  if (m[1] === '') {
    const suffix = Number(m[2])
    if (suffix === 0 || size === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(m[1])
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  if (!Number.isSafeInteger(start) || start >= size || end < start) return 'unsatisfiable'
  return { start, end }
}

/** A stored file as a range response needs it: its manifest, its type and its plaintext chunks. */
export interface RangeFile {
  manifest: Manifest
  mime?: string
  /** Plaintext chunk `index`, verified (StorageClient.chunk). */
  chunk(index: number): Promise<Uint8Array>
}

/**
 * Answer one request for a stored file: 405 for other methods than GET and
 * HEAD, 416 for an unsatisfiable range, else 200 or 206 with the bytes asked
 * for. Used by `borg stream serve` and by the fstream cell's `/files/ID` route.
 * Resolves with the status sent once the response is over; a chunk that
 * cannot be fetched cuts the body short (and is passed to `onError`).
 */
export async function respondWithFile(req: PlainRequest, res: PlainResponse, file: RangeFile, onError?: (error: Error) => void): Promise<number> {
  const { manifest } = file
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.head(405, { allow: 'GET, HEAD' })
    res.end()
    return 405
  }
  const range = parseRange(req.header('range'), manifest.size)
  const base = { 'accept-ranges': 'bytes', 'content-type': file.mime ?? 'application/octet-stream', 'cache-control': 'no-store' }
  if (range === 'unsatisfiable') {
    res.head(416, { ...base, 'content-range': `bytes */${manifest.size}` })
    res.end()
    return 416
  }
  const { start, end } = range ?? { start: 0, end: manifest.size - 1 }
  const length = manifest.size === 0 ? 0 : end - start + 1
  const status = range ? 206 : 200
  res.head(status, { ...base, 'content-length': length, ...(range ? { 'content-range': `bytes ${start}-${end}/${manifest.size}` } : {}) })
  if (req.method === 'HEAD' || length === 0) {
    res.end()
    return status
  }
  const first = Math.floor(start / manifest.chunkSize)
  const last = Math.floor(end / manifest.chunkSize)
  const pending = new Map<number, Promise<Uint8Array>>()
  const want = (i: number) => {
    if (i <= last && !pending.has(i)) {
      const p = file.chunk(i)
      p.catch(() => {})
      pending.set(i, p)
    }
  }
  try {
    for (let i = first; i < first + READ_AHEAD; i++) want(i)
    for (let i = first; i <= last && !res.closed; i++) {
      const chunk = await pending.get(i)!
      if (res.closed) break
      pending.delete(i)
      want(i + READ_AHEAD)
      const from = i === first ? start - i * manifest.chunkSize : 0
      const to = i === last ? end - i * manifest.chunkSize + 1 : chunk.length
      await res.write(chunk.subarray(from, to))
    }
    res.end()
  } catch (error) {
    onError?.(error as Error)
    res.abort(error as Error) // a short body: the player sees the failure rather than wrong bytes
  }
  return status
}

export async function serveFile(client: StorageClient, manifest: Manifest, options: RangeServerOptions = {}): Promise<{ server: Server; url: string }> {
  const mime = manifest.enc ? (options.keys ? openMeta(options.keys, manifest.enc.meta).mime : undefined) : manifest.mime
  if (manifest.enc && !options.keys) throw new BorgError('refused', `file ${manifest.id} is encrypted: serving it needs the owner's identity`)
  const file: RangeFile = { manifest, mime, chunk: (i) => client.chunk(manifest, i, options.keys) }
  const server = createServer((req, res) => void respondWithFile(...plainExchange(req, res), file, (e) => options.log?.(`stream: ${e.message}`)))

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new BorgError('unavailable', `cannot listen on ${options.host ?? '127.0.0.1'}:${options.port ?? 0}: ${e.message}`, { cause: e })),
    )
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve())
  })
  const address = server.address() as AddressInfo
  return { server, url: `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}/${manifest.id}` }
}
