/**
 * `borg stream send FILE --to HOST:PORT`, the command's side: the file is
 * hashed once (chunk names and the stream id), then the local node (own key)
 * is asked to offer it (`stream.send`): the node serves the chunks from its
 * shard cell and the receiver pulls them from there, since a node pulls only
 * from members of its shard tree. Progress comes from the receiver
 * (`stream.status`). Sending the same file again resumes where the receiver
 * stopped.
 */
import { parsePeerRef } from '../net/relayed-endpoint.js'
import { open, stat } from 'node:fs/promises'
import { basename, resolve } from 'node:path'
import { BorgError } from '../errors.js'
import { bytesToHex } from '../bytes.js'
import { sha256, sha256Stream } from '../crypto/hash.js'
import { request } from '../messaging/requests.js'
import type { Transport } from '../wire/transport.js'
import { STREAM_CODECS, STREAM_KIND, chunkSizeFor, termsBody, type SendBody, type SendReply, type StreamOffer, type StreamProgress } from './messages.js'

/** The local node, as the command reaches it (src/core/node/local-client.ts). */
export interface LocalSender {
  /** A control request to the node's shard cell, signed with the node's own key: its body as STREAM_CODECS has it. */
  control<T>(kind: string, body: Record<string, unknown>): Promise<T>
  /** Signs with the node key too: the receiver answers status to the offerer. */
  transport: Transport
}

export interface SendOptions {
  path: string
  /** HOST:PORT of the receiving node (any port of its shard cell). */
  to: string
  node: LocalSender
  chunkSize?: number
  pollMs?: number
  /** Bytes the receiver has, of the total. */
  onProgress?: (received: number, total: number) => void
}

/** The stream's terms: one pass over the file for every chunk's name and the stream id. */
export async function hashFile(path: string, chunkSize?: number): Promise<Omit<StreamOffer, 'endpoint'>> {
  const info = await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw new BorgError(e.code === 'ENOENT' ? 'not-found' : 'invalid-input', `cannot read ${path}: ${e.message}`)
  })
  if (!info.isFile()) throw new BorgError('invalid-input', `${path} is not a regular file`)
  const size = info.size
  const step = chunkSize ?? chunkSizeFor(size)
  const count = Math.ceil(size / step)
  const hashes = new Uint8Array(count * 32)
  const whole = sha256Stream()
  const file = await open(path, 'r')
  try {
    const buffer = new Uint8Array(step)
    for (let i = 0; i < count; i++) {
      const length = Math.min(step, size - i * step)
      const { bytesRead } = await file.read(buffer, 0, length, i * step)
      if (bytesRead !== length) throw new BorgError('invalid-input', `${path} changed while it was read`)
      const piece = buffer.subarray(0, length)
      hashes.set(sha256(piece), i * 32)
      whole.update(piece)
    }
  } finally {
    await file.close()
  }
  return { streamId: bytesToHex(whole.digest()), size, chunkSize: step, count, hashes, name: basename(path) }
}

export async function sendFile(options: SendOptions): Promise<StreamProgress & { bytes: number }> {
  const path = resolve(options.path)
  const terms = await hashFile(path, options.chunkSize)
  const send: SendBody = { ...termsBody(terms), path, to: options.to }
  const first = await options.node.control<SendReply>(STREAM_KIND.send, send)
  if (first.status === 'pending') {
    const minutes = first.expiresAt === undefined ? undefined : Math.max(1, Math.round((first.expiresAt - Date.now()) / 60_000))
    throw new BorgError(
      'refused',
      `the node at ${options.to} holds the offer for its owner: there, "borg stream accept ${first.offerId}"${minutes ? ` within ${minutes} min` : ''} takes it (this node keeps serving the file meanwhile), or "borg stream allow ${options.node.transport.localId}" takes this node's offers from now on`,
      { details: { status: 'pending', offerId: first.offerId, expiresAt: first.expiresAt, receiver: first.receiver, streamId: terms.streamId } },
    )
  }
  const receiver = { endpoint: parsePeerRef(options.to).endpoint, id: first.receiver }
  let progress: StreamProgress = first
  while (!progress.done) {
    if (progress.status === 'failed' || progress.error) throw new BorgError('unavailable', `the receiver gave up: ${progress.error ?? 'no reason given'}; run this again to resume`)
    options.onProgress?.(Math.min(terms.size, progress.received * terms.chunkSize), terms.size)
    await new Promise((r) => setTimeout(r, options.pollMs ?? 300))
    progress = STREAM_CODECS.statusReply.decode(await request(options.node.transport, receiver, STREAM_CODECS.status.encode({ streamId: terms.streamId }), 30_000))
  }
  options.onProgress?.(terms.size, terms.size)
  return { ...progress, bytes: terms.size }
}
