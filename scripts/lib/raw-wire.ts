/**
 * A hand-driven HTTPS connection to a borg port, for attack benches and tests:
 * it sends exactly the bytes it is told to, when it is told to (a header that
 * announces 64 MiB and then a trickle, pipelined requests, nothing at all),
 * and reads back the node's signed answers. Never used by borg itself.
 */
import { connect, type TLSSocket } from 'node:tls'
import { randomBytes } from 'node:crypto'
import { utf8 } from '../../src/core/bytes.js'
import { encodeSignedPart, parseHeader } from '../../src/core/envelope/codec.js'
import type { EnvelopeSigner } from '../../src/core/envelope/seal.js'
import { BodyType, type Target } from '../../src/core/wire/message.js'

/** A signed envelope header announcing `bodyLength` bytes (the body hash is random: the body never needs to arrive). */
export function announce(
  signer: EnvelopeSigner,
  options: { kind: string; bodyLength: number; timestamp: number; to?: Target; expectsReply?: boolean; bodyType?: BodyType },
): Uint8Array {
  const signedPart = encodeSignedPart({
    expectsReply: options.expectsReply ?? false,
    bodyType: options.bodyType ?? BodyType.binary,
    kind: options.kind,
    sender: signer.keyId,
    to: options.to ?? { type: 'none' },
    id: new Uint8Array(randomBytes(16)),
    timestamp: Math.floor(options.timestamp),
    bodyLength: options.bodyLength,
    bodyHash: new Uint8Array(randomBytes(32)),
  })
  const signature = signer.sign(signedPart)
  const out = new Uint8Array(signedPart.length + signature.length)
  out.set(signedPart)
  out.set(signature, signedPart.length)
  return out
}

/** The HTTP/1.1 request head of a POST to the envelope path. */
export function postHead(contentLength: number): Uint8Array {
  return utf8.encode(`POST /borg/v1/msg HTTP/1.1\r\nhost: borg\r\ncontent-type: application/vnd.borg.envelope\r\ncontent-length: ${contentLength}\r\n\r\n`)
}

export interface RawAnswer {
  status: number
  /** The signed error's code, for a wire.error answer. */
  code?: string
  message?: string
}

export class RawConnection {
  private buffer = Buffer.alloc(0)
  private readonly answers: RawAnswer[] = []
  private waiters: (() => void)[] = []
  private open = true
  /** Resolves when the node (or anyone) closed the connection. */
  readonly closed: Promise<void>

  private constructor(readonly socket: TLSSocket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk])
      this.parse()
    })
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.open = false
        this.wake()
        resolve()
      })
    })
    socket.on('error', () => {})
  }

  static connect(host: string, port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, rejectUnauthorized: false }, () => {
        socket.off('error', reject)
        resolve(new RawConnection(socket))
      })
      socket.once('error', reject)
    })
  }

  get isOpen(): boolean {
    return this.open
  }

  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      if (!this.open || !this.socket.writable) return resolve()
      this.socket.write(bytes, () => resolve())
    })
  }

  /** The next answer, or undefined if the connection closes first. */
  async answer(): Promise<RawAnswer | undefined> {
    for (;;) {
      const next = this.answers.shift()
      if (next) return next
      if (!this.open) return undefined
      await new Promise<void>((resolve) => this.waiters.push(resolve))
    }
  }

  destroy(): void {
    this.socket.destroy()
  }

  private wake(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }

  private parse(): void {
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n')
      if (end < 0) return
      const head = this.buffer.subarray(0, end).toString('latin1')
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0)
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0)
      if (this.buffer.length < end + 4 + length) return
      const body = this.buffer.subarray(end + 4, end + 4 + length)
      this.buffer = this.buffer.subarray(end + 4 + length)
      this.answers.push({ status, ...errorOf(body) })
      this.wake()
    }
  }
}

function errorOf(envelope: Uint8Array): { code?: string; message?: string } {
  try {
    const parsed = parseHeader(envelope)
    if (parsed.status !== 'ok' || parsed.header.kind !== 'wire.error') return {}
    return JSON.parse(utf8.decode(envelope.subarray(parsed.headerLength))) as { code?: string; message?: string }
  } catch {
    return {}
  }
}
