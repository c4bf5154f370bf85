/**
 * The sending side of DStream (`borg stream send FILE --to …`): the file is
 * hashed once (chunk names and the stream id), a short-lived signed HTTPS
 * endpoint serves its chunks, and the receiver is offered the stream and pulls
 * it. Progress comes from the receiver (`stream.status`). Sending the same
 * file again resumes where the receiver stopped.
 */
import { open, stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { BorgError } from '../errors.js'
import { bytesToHex, hexToBytes } from '../bytes.js'
import { sha256, sha256Stream } from '../crypto/hash.js'
import { silentLogger } from '../log.js'
import type { TlsMaterial } from '../net/cert.js'
import { formatEndpoint } from '../net/endpoint.js'
import { HttpsTransport } from '../net/https-transport.js'
import type { EnvelopeSigner } from '../envelope/seal.js'
import { DEFAULT_CHUNK_SIZE } from '../storage/chunking.js'
import { BodyType, jsonMessage, readJson } from '../wire/message.js'
import { request, type Peer } from '../wire/transport.js'
import { STREAM_KIND, type StreamOffer, type StreamProgress } from './messages.js'

export interface SendOptions {
  path: string
  to: Peer
  signer: EnvelopeSigner
  tls: TlsMaterial
  /** Address the receiver can reach this machine at. */
  advertiseHost: string
  listenHost?: string
  chunkSize?: number
  pollMs?: number
  /** Bytes the receiver has, of the total. */
  onProgress?: (received: number, total: number) => void
}

export async function sendFile(options: SendOptions): Promise<StreamProgress & { bytes: number }> {
  const info = await stat(options.path).catch((e: NodeJS.ErrnoException) => {
    throw new BorgError(e.code === 'ENOENT' ? 'not-found' : 'invalid-input', `cannot read ${options.path}: ${e.message}`)
  })
  if (!info.isFile()) throw new BorgError('invalid-input', `${options.path} is not a regular file`)
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE
  const file = await open(options.path, 'r')
  try {
    // One pass: every chunk's name and the stream id.
    const chunks: string[] = []
    const whole = sha256Stream()
    const buffer = new Uint8Array(chunkSize)
    for (let offset = 0; offset < info.size; offset += chunkSize) {
      const length = Math.min(chunkSize, info.size - offset)
      await file.read(buffer, 0, length, offset)
      const piece = buffer.subarray(0, length)
      chunks.push(bytesToHex(sha256(piece)))
      whole.update(piece)
    }
    const streamId = bytesToHex(whole.digest())
    const transport = new HttpsTransport({ signer: options.signer, tls: options.tls, log: silentLogger, timeoutMs: 30_000 })
    transport.onMessage((m, r) => {
      if (m.kind !== STREAM_KIND.pull || !r) return r?.fail('unknown-kind', `this sender only serves ${STREAM_KIND.pull}`)
      const { streamId: asked, index } = readJson<{ streamId?: unknown; index?: unknown }>(m)
      if (asked !== streamId || typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0 || index >= chunks.length) return r.fail('not-found', 'no such chunk in this stream')
      const length = Math.min(chunkSize, info.size - index * chunkSize)
      const bytes = new Uint8Array(length)
      file.read(bytes, 0, length, index * chunkSize).then(
        () => r.reply({ kind: `${STREAM_KIND.pull}.reply`, body: bytes, bodyType: BodyType.binary, bodyHash: hexToBytes(chunks[index]!) }),
        (e: Error) => r.fail('unavailable', e.message),
      )
    })
    const bound = await transport.listen(options.listenHost ?? options.advertiseHost, 0)
    try {
      const offer: StreamOffer = { streamId, size: info.size, chunkSize, chunks, endpoint: formatEndpoint({ host: options.advertiseHost, port: bound.port }), name: basename(options.path) }
      let progress = readJson<StreamProgress>(await request(transport, options.to, jsonMessage(STREAM_KIND.offer, offer), 30_000))
      while (!progress.done) {
        if (progress.error) throw new BorgError('unavailable', `the receiver gave up: ${progress.error}`)
        options.onProgress?.(Math.min(info.size, progress.received * chunkSize), info.size)
        await new Promise((r) => setTimeout(r, options.pollMs ?? 300))
        progress = readJson<StreamProgress>(await request(transport, options.to, jsonMessage(STREAM_KIND.status, { streamId }), 30_000))
      }
      options.onProgress?.(info.size, info.size)
      return { ...progress, bytes: info.size }
    } finally {
      await transport.close()
    }
  } finally {
    await file.close()
  }
}
