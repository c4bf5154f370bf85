/**
 * /api/files…: the identity's files. Uploads arrive in parts (uploads.ts) and
 * are stored through the best shard cell, again through the next one when a
 * store fails; the list shows each file's health (fewest live copies of any
 * chunk); downloads and media stream the verified chunks with Range; a
 * removal waits for its confirmation. Media elements cannot send a bearer
 * header, so the page asks for a ticket: a random path for one file, for 30
 * minutes, read-only.
 */
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { BorgError } from '../../core/errors.js'
import { bytesToHex } from '../../core/bytes.js'
import { checkFileId } from '../../core/storage/names.js'
import { openMeta } from '../../core/storage/file-crypto.js'
import type { Manifest } from '../../core/storage/manifest.js'
import { listFiles, putFile, type Session } from '../../client/session.js'
import { respondWithFile } from '../../client/range-server.js'
import type { StorageClient } from '../../client/storage-client.js'
import { Streamed } from '../conduit-server.js'
import { Uploads, checkUploadRequest, type UploadRequest } from '../uploads.js'
import type { CellEndpoint } from '../endpoint-pool.js'
import type { ApiContext } from './context.js'
import { field } from './context.js'

export const TICKET_TTL_MS = 30 * 60_000
const MAX_TICKETS = 64

export function filesApi(ctx: ApiContext) {
  const sessionAt = (cell: CellEndpoint): Session & { client: StorageClient } => {
    const me = ctx.keyring.unlocked()
    return { client: ctx.network.storageAt(cell), signer: me.signer, keys: me.keys, close: async () => {} }
  }
  const fileId = (value: unknown) => checkFileId(typeof value === 'string' ? value : '')

  const store = async (path: string, request: UploadRequest, progress: (stored: number, through: string) => void) =>
    ctx.network.pool.write('shard', async (cell) => {
      const session = sessionAt(cell)
      const put = await putFile(session, { path, name: request.name, mime: request.mime, encrypt: request.encrypt, onProgress: (done) => progress(done, cell.node) })
      return { fileId: put.manifest.id, copies: put.fewestCopies }
    })
  const uploads = new Uploads(join(ctx.home, 'conduit', 'uploads'), store)

  /** A file's manifest and a client that reads it (through the best shard cell that answers). */
  const reader = (id: string) =>
    ctx.network.pool.read('shard', async (cell) => {
      const session = sessionAt(cell)
      return { manifest: await session.client.manifest(id), session }
    })
  const mimeOf = (manifest: Manifest, session: Session) => (manifest.enc ? (session.keys ? openMeta(session.keys, manifest.enc.meta).mime : undefined) : manifest.mime)
  const streamed = (id: string) =>
    new Streamed(async (req, res) => {
      const { manifest, session } = await reader(id)
      if (manifest.enc && !session.keys) throw new BorgError('refused', 'this file is encrypted to another identity')
      return respondWithFile(req, res, { manifest, mime: mimeOf(manifest, session), chunk: (i) => session.client.chunk(manifest, i, session.keys) })
    })

  const tickets = new Map<string, { id: string; expires: number }>()

  return {
    get: {
      files: async () => {
        const me = ctx.keyring.unlocked()
        return ctx.network.pool.read('files', async (cell) => {
          const shard = ctx.network.pool.cellOf(cell.node, 'shard')
          if (!shard) throw new BorgError('unavailable', 'that node runs no shard cell')
          return listFiles(sessionAt({ node: cell.node, endpoint: shard }), bytesToHex(me.signer.keyId), me.keys)
        })
      },
      'files/uploads': async () => uploads.list(),
      'files/upload': async (query: URLSearchParams) => uploads.status(query.get('id')),
      /** The file's bytes (Range supported), every chunk verified before it is sent. */
      'files/content': async (query: URLSearchParams) => {
        ctx.keyring.unlocked()
        return streamed(fileId(query.get('id')))
      },
    },
    post: {
      'files/upload': async (body: unknown) => {
        ctx.keyring.unlocked()
        return uploads.open(checkUploadRequest(body))
      },
      'files/upload/part': async (body: unknown) => {
        const b = body as { id?: unknown; offset?: unknown; data?: unknown }
        return uploads.append(b?.id, b?.offset, b?.data)
      },
      'files/upload/cancel': async (body: unknown) => {
        await uploads.cancel((body as { id?: unknown })?.id)
        return { cancelled: true }
      },
      /** {"id", "pin"?}: keep (or stop keeping) a full copy on this home's own node (a node pins only for its own key). */
      'files/pin': async (body: unknown) => {
        ctx.keyring.unlocked()
        const id = fileId(field(body, 'id'))
        const pin = (body as { pin?: unknown }).pin !== false
        const own = ctx.network.ownNode
        const shard = own ? ctx.network.pool.cellOf(own, 'shard') : undefined
        if (!own || !shard) throw new BorgError('refused', 'pinning keeps a full copy on your own node: run the conduit from the BORG_HOME of a running node with a shard cell (not with --node)')
        const { client } = sessionAt({ node: own, endpoint: shard })
        if (!pin) return { id, pinned: false, node: own, removed: await client.unpin(id) }
        return { ...(await client.pin(id)), id, pinned: true, node: own }
      },
      /** {"id"}: a confirmation naming the file; the removal happens when it is confirmed. */
      'files/remove': async (body: unknown) => {
        const me = ctx.keyring.unlocked()
        const id = fileId(field(body, 'id'))
        const { manifest, session } = await reader(id)
        if (manifest.owner !== bytesToHex(me.signer.keyId)) throw new BorgError('refused', 'this file belongs to another identity')
        const name = (manifest.enc ? openMeta(me.keys, manifest.enc.meta).name : manifest.name) ?? '(no name)'
        const summary = `Remove "${name}" (${manifest.size} bytes, id ${id.slice(0, 16)}…) from the network. Its copies are deleted; this cannot be undone.`
        return ctx.confirmations.ask(summary, { action: 'remove', id, name, size: String(manifest.size) }, async () => {
          const removed = await ctx.network.pool.write('files', async (cell) => {
            const shard = ctx.network.pool.cellOf(cell.node, 'shard') ?? cell.endpoint
            return ctx.network.storageAt({ node: cell.node, endpoint: shard }).remove(id, session.signer)
          })
          return { removed: id, managers: removed }
        })
      },
      /** {"id"}: a media address for the page's audio and video elements. */
      'files/ticket': async (body: unknown) => {
        ctx.keyring.unlocked()
        const id = fileId(field(body, 'id'))
        const now = Date.now()
        for (const [t, v] of tickets) if (v.expires <= now) tickets.delete(t)
        while (tickets.size >= MAX_TICKETS) tickets.delete(tickets.keys().next().value!)
        const ticket = randomBytes(24).toString('base64url')
        tickets.set(ticket, { id, expires: now + TICKET_TTL_MS })
        return { url: `/media/${ticket}`, expiresAt: now + TICKET_TTL_MS }
      },
    },
    media: (ticket: string) => {
      const held = tickets.get(ticket)
      if (!held || held.expires <= Date.now()) return undefined
      return streamed(held.id)
    },
    close: () => uploads.close(),
  }
}
