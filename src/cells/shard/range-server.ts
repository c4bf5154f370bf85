/**
 * fStream: a stored file served over local HTTP with `Range` support, so a
 * browser, `mpv` or `ffplay` can start playing while later chunks are still
 * being fetched (`borg stream serve ID`). Each request fetches only the chunks
 * its range overlaps, in order, a few ahead of the one being written, every
 * one verified against its name before a byte of it is sent.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { BorgError } from '../../core/errors.js'
import type { FileKeys } from '../../core/storage/file-crypto.js'
import { openMeta } from '../../core/storage/file-crypto.js'
import type { Manifest } from '../../core/storage/manifest.js'
import type { StorageClient } from './client.js'

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

export async function serveFile(client: StorageClient, manifest: Manifest, options: RangeServerOptions = {}): Promise<{ server: Server; url: string }> {
  const mime = manifest.enc ? (options.keys ? openMeta(options.keys, manifest.enc.meta).mime : undefined) : manifest.mime
  if (manifest.enc && !options.keys) throw new BorgError('refused', `file ${manifest.id} is encrypted: serving it needs the owner's identity`)
  const server = createServer((req, res) => void handle(req, res))

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end()
      return
    }
    const range = parseRange(req.headers.range, manifest.size)
    const base = { 'accept-ranges': 'bytes', 'content-type': mime ?? 'application/octet-stream', 'cache-control': 'no-store' }
    if (range === 'unsatisfiable') {
      res.writeHead(416, { ...base, 'content-range': `bytes */${manifest.size}` }).end()
      return
    }
    const { start, end } = range ?? { start: 0, end: manifest.size - 1 }
    const length = manifest.size === 0 ? 0 : end - start + 1
    res.writeHead(range ? 206 : 200, { ...base, 'content-length': length, ...(range ? { 'content-range': `bytes ${start}-${end}/${manifest.size}` } : {}) })
    if (req.method === 'HEAD' || length === 0) return void res.end()
    let closed = false
    res.on('close', () => (closed = true))
    const first = Math.floor(start / manifest.chunkSize)
    const last = Math.floor(end / manifest.chunkSize)
    const pending = new Map<number, Promise<Uint8Array>>()
    const want = (i: number) => {
      if (i <= last && !pending.has(i)) {
        const p = client.chunk(manifest, i, options.keys)
        p.catch(() => {})
        pending.set(i, p)
      }
    }
    try {
      for (let i = first; i < first + READ_AHEAD; i++) want(i)
      for (let i = first; i <= last && !closed; i++) {
        const chunk = await pending.get(i)!
        pending.delete(i)
        want(i + READ_AHEAD)
        const from = i === first ? start - i * manifest.chunkSize : 0
        const to = i === last ? end - i * manifest.chunkSize + 1 : chunk.length
        if (!res.write(chunk.subarray(from, to))) await new Promise<void>((r) => res.once('drain', () => r()))
      }
      res.end()
    } catch (error) {
      options.log?.(`stream: ${(error as Error).message}`)
      res.destroy(error as Error) // a short body: the player sees the failure rather than wrong bytes
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new BorgError(e.code === 'EADDRINUSE' ? 'exists' : 'unavailable', `cannot listen on ${options.host ?? '127.0.0.1'}:${options.port ?? 0}: ${e.message}`)),
    )
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve())
  })
  const address = server.address() as AddressInfo
  return { server, url: `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}/${manifest.id}` }
}
