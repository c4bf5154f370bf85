/**
 * Uploads from the page (docs/conduit.md "Files"): the page sends the file
 * in numbered JSON parts (base64, so every state-changing request stays
 * application/json), the conduit spools them to a file under its home, and
 * once the last part is in it stores the file through the network — from
 * the spool, so a store that fails on one node is started again through
 * another with the same bytes (chunks are named by their hashes: what
 * already arrived is not stored twice). Bounded: a few uploads at a time,
 * a largest size, finished ones remembered for a while.
 */
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { BorgError } from '../core/errors.js'

/** Raw bytes per part at most (about 700 KB as base64 JSON, under the conduit's body limit). */
export const UPLOAD_PART_BYTES = 512 * 1024
export const MAX_UPLOAD_BYTES = 4 * 1024 ** 3
export const MAX_ACTIVE_UPLOADS = 4
/** Finished uploads remembered (for the page to read their outcome). */
const MAX_FINISHED = 64

export interface UploadRequest {
  name: string
  size: number
  mime?: string
  encrypt: boolean
}

export interface UploadStatus {
  id: string
  name: string
  size: number
  state: 'receiving' | 'storing' | 'stored' | 'failed'
  /** Bytes the conduit has from the page. */
  received: number
  /** Bytes stored on the network (the progress bar). */
  stored: number
  /** Nodes the store went through (more than one: it failed over). */
  through: string[]
  fileId?: string
  copies?: number
  error?: string
  startedAt: number
  finishedAt?: number
}

/** Stores a spooled file through the network, reporting stored bytes; retried by the caller's failover. */
export type StoreFile = (path: string, request: UploadRequest, progress: (stored: number, through: string) => void) => Promise<{ fileId: string; copies: number }>

interface Job {
  status: UploadStatus
  request: UploadRequest
  path: string
  handle?: FileHandle
}

export function checkUploadRequest(body: unknown): UploadRequest {
  const b = body as Record<string, unknown> | null
  if (typeof b !== 'object' || b === null) throw new BorgError('invalid-input', 'send {"name", "size", "mime"?, "encrypt"?}')
  const { name, size, mime, encrypt } = b
  if (typeof name !== 'string' || name.length < 1 || name.length > 255 || /[\u0000-\u001f/]/.test(name)) throw new BorgError('invalid-input', 'name: 1 to 255 characters, no "/" or control characters')
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0 || size > MAX_UPLOAD_BYTES) throw new BorgError('invalid-input', `size: a whole number of bytes, at most ${MAX_UPLOAD_BYTES}`)
  if (mime !== undefined && (typeof mime !== 'string' || !/^[\w.+-]+\/[\w.+-]+$/.test(mime) || mime.length > 100)) throw new BorgError('invalid-input', 'mime: a media type such as video/mp4')
  if (encrypt !== undefined && typeof encrypt !== 'boolean') throw new BorgError('invalid-input', 'encrypt: true or false')
  return { name, size, ...(mime ? { mime } : {}), encrypt: encrypt !== false }
}

export class Uploads {
  private readonly jobs = new Map<string, Job>()

  constructor(
    private readonly dir: string,
    private readonly store: StoreFile,
    private readonly now: () => number = Date.now,
  ) {}

  private active(): number {
    let n = 0
    for (const job of this.jobs.values()) if (job.status.state === 'receiving' || job.status.state === 'storing') n++
    return n
  }

  async open(request: UploadRequest): Promise<UploadStatus> {
    if (this.active() >= MAX_ACTIVE_UPLOADS) throw new BorgError('busy', `at most ${MAX_ACTIVE_UPLOADS} uploads at a time: wait for one to finish`)
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    const id = randomBytes(12).toString('hex')
    const path = join(this.dir, `${id}.part`)
    const handle = await open(path, 'w', 0o600)
    const status: UploadStatus = { id, name: request.name, size: request.size, state: 'receiving', received: 0, stored: 0, through: [], startedAt: this.now() }
    this.jobs.set(id, { status, request, path, handle })
    this.forgetOld()
    if (request.size === 0) await this.finishReceiving(this.jobs.get(id)!)
    return { ...status }
  }

  /** Part at `offset` (base64). A part sent again (a retried request) is acknowledged, not written twice. */
  async append(id: unknown, offset: unknown, data: unknown): Promise<UploadStatus> {
    const job = typeof id === 'string' ? this.jobs.get(id) : undefined
    if (!job) throw new BorgError('not-found', 'no such upload')
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) throw new BorgError('invalid-input', 'offset: a whole number of bytes')
    if (typeof data !== 'string') throw new BorgError('invalid-input', 'data: the part as base64')
    const bytes = Buffer.from(data, 'base64')
    if (bytes.length === 0 || bytes.length > UPLOAD_PART_BYTES) throw new BorgError('invalid-input', `a part holds 1 to ${UPLOAD_PART_BYTES} bytes`)
    const { status } = job
    if (status.state !== 'receiving' || offset + bytes.length <= status.received) return { ...status } // already have it
    if (offset !== status.received) throw new BorgError('invalid-input', `the next part starts at byte ${status.received}`)
    if (offset + bytes.length > status.size) throw new BorgError('invalid-input', `the upload was opened for ${status.size} bytes`)
    await job.handle!.write(bytes, 0, bytes.length, offset)
    status.received += bytes.length
    if (status.received === status.size) await this.finishReceiving(job)
    return { ...status }
  }

  private async finishReceiving(job: Job): Promise<void> {
    await job.handle?.close()
    job.handle = undefined
    job.status.state = 'storing'
    void this.store(job.path, job.request, (stored, through) => {
      job.status.stored = Math.max(job.status.stored, stored)
      if (job.status.through[job.status.through.length - 1] !== through) job.status.through.push(through)
    }).then(
      ({ fileId, copies }) => Object.assign(job.status, { state: 'stored', stored: job.status.size, fileId, copies, finishedAt: this.now() }),
      (error: unknown) => Object.assign(job.status, { state: 'failed', error: (error as Error).message, finishedAt: this.now() }),
    ).finally(() => rm(job.path, { force: true }))
  }

  status(id: unknown): UploadStatus {
    const job = typeof id === 'string' ? this.jobs.get(id) : undefined
    if (!job) throw new BorgError('not-found', 'no such upload')
    return { ...job.status, through: [...job.status.through] }
  }

  list(): UploadStatus[] {
    return [...this.jobs.values()].map((j) => ({ ...j.status, through: [...j.status.through] }))
  }

  /** Stop receiving an upload (its spool is removed). */
  async cancel(id: unknown): Promise<void> {
    const job = typeof id === 'string' ? this.jobs.get(id) : undefined
    if (!job || job.status.state !== 'receiving') throw new BorgError('not-found', 'no upload being received with this id')
    await job.handle?.close()
    await rm(job.path, { force: true })
    Object.assign(job.status, { state: 'failed', error: 'cancelled', finishedAt: this.now() })
  }

  private forgetOld(): void {
    const finished = [...this.jobs.values()].filter((j) => j.status.finishedAt !== undefined).sort((a, b) => a.status.finishedAt! - b.status.finishedAt!)
    for (const job of finished.slice(0, Math.max(0, finished.length - MAX_FINISHED))) this.jobs.delete(job.status.id)
  }

  async close(): Promise<void> {
    for (const job of this.jobs.values()) await job.handle?.close().catch(() => {})
    await rm(this.dir, { recursive: true, force: true })
  }
}
