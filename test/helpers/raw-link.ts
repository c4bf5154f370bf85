/**
 * A link opened by hand, byte by byte as docs/protocol.md §4.5 says, so tests
 * can send what the real client never would (a wrong key, a replay, a body
 * too big) and read exactly what the node answers.
 */
import { connect, type TLSSocket } from 'node:tls'
import { parseHeader, type EnvelopeHeader } from '../../src/core/envelope/codec.js'
import { seal, sealToBytes, type EnvelopeSigner } from '../../src/core/envelope/seal.js'
import { EnvelopeSplitter } from '../../src/core/envelope/splitter.js'
import { parseHex } from '../../src/core/bytes.js'
import { cryptoRandom } from '../../src/core/crypto/random.js'
import { LINK_OPEN_KIND, LINK_PATH, LINK_PROTOCOL } from '../../src/core/net/http-mapping.js'
import { LinkEphemeral, linkSigner, type LinkKeys } from '../../src/core/net/link-keys.js'
import { parseEndpoint } from '../../src/core/net/endpoint.js'
import type { Outgoing } from '../../src/core/wire/message.js'

export interface RawEnvelope {
  header: EnvelopeHeader
  bytes: Uint8Array
  body: Uint8Array
}

export interface RawLink {
  keys: LinkKeys
  opening: EnvelopeHeader
  acceptance: RawEnvelope
  /** Seal with the link's MAC (or with `signer`) and send; returns the bytes sent. */
  send(message: Outgoing, options?: { signer?: EnvelopeSigner; expectsReply?: boolean }): Uint8Array
  sendBytes(bytes: Uint8Array): void
  /** The next envelope the node sent (unverified: the test checks what it needs). */
  next(timeoutMs?: number): Promise<RawEnvelope>
  /** Resolves once the node closed the connection. */
  closed: Promise<void>
  close(): void
}

/** Open a link to `endpoint` (a node id) as `signer`; `first` replaces the opening envelope when given. */
export async function rawLink(endpoint: string, nodeId: string, signer: EnvelopeSigner, first?: Uint8Array): Promise<RawLink> {
  const { host, port } = parseEndpoint(endpoint)
  const socket: TLSSocket = await new Promise((resolve, reject) => {
    const s = connect({ host, port, rejectUnauthorized: false }, () => resolve(s))
    s.once('error', reject)
  })
  const ephemeral = new LinkEphemeral()
  const to = { type: 'node' as const, id: parseHex(nodeId) }
  const opening = seal(signer, { kind: LINK_OPEN_KIND, body: ephemeral.publicKey, to }, { expectsReply: true, timestamp: Date.now(), random: cryptoRandom })
  const queue: RawEnvelope[] = []
  const waiters: ((e: RawEnvelope) => void)[] = []
  let pieces: Uint8Array[] = []
  const splitter = new EnvelopeSplitter({
    start: () => {},
    data: (bytes) => void pieces.push(bytes),
    end: () => {
      const bytes = Buffer.concat(pieces)
      pieces = []
      const parsed = parseHeader(bytes)
      if (parsed.status !== 'ok') throw new Error('incomplete envelope')
      const envelope = { header: parsed.header, bytes, body: bytes.subarray(parsed.headerLength) }
      const waiter = waiters.shift()
      if (waiter) waiter(envelope)
      else queue.push(envelope)
    },
  })
  let head = Buffer.alloc(0)
  let upgraded = false
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  socket.on('error', () => {})
  socket.on('data', (chunk: Buffer) => {
    if (upgraded) return splitter.push(chunk)
    head = Buffer.concat([head, chunk])
    const end = head.indexOf('\r\n\r\n')
    if (end < 0) return
    if (!head.subarray(0, end).toString('latin1').startsWith('HTTP/1.1 101')) throw new Error(`upgrade refused: ${head.toString('latin1')}`)
    upgraded = true
    if (head.length > end + 4) splitter.push(head.subarray(end + 4))
  })
  const next = (timeoutMs = 5_000) =>
    queue.length > 0
      ? Promise.resolve(queue.shift()!)
      : new Promise<RawEnvelope>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no envelope from the node in time')), timeoutMs)
          waiters.push((e) => (clearTimeout(timer), resolve(e)))
        })
  const upgrade = `GET ${LINK_PATH} HTTP/1.1\r\nHost: ${endpoint}\r\nConnection: Upgrade\r\nUpgrade: ${LINK_PROTOCOL}\r\n\r\n`
  socket.write(Buffer.concat([Buffer.from(upgrade), first ?? Buffer.concat([opening.headerBytes, opening.body])]))
  const link: RawLink = {
    keys: { opener: new Uint8Array(0), acceptor: new Uint8Array(0) },
    opening: opening.header,
    acceptance: undefined as unknown as RawEnvelope,
    send(message, options = {}) {
      const bytes = sealToBytes(options.signer ?? linkSigner(signer.keyId, link.keys.opener), { to, ...message }, {
        expectsReply: options.expectsReply ?? true,
        timestamp: Date.now(),
        random: cryptoRandom,
      })
      socket.write(bytes)
      return bytes
    },
    sendBytes: (bytes) => void socket.write(bytes),
    next,
    closed,
    close: () => socket.destroy(),
  }
  if (first) return link
  link.acceptance = await next()
  link.keys = ephemeral.derive(link.acceptance.body, opening.header, link.acceptance.header)
  return link
}
