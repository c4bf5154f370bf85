/**
 * The accepting end of links (docs/protocol.md §4.5). A client upgrades an
 * HTTPS connection (`GET /borg/v1/link`, `Upgrade: borg-link/1`); from then on
 * it sends envelopes back to back and this node answers each with one
 * envelope (the reply, `wire.ack` for an accepted one-way message, or
 * `wire.error`), in whatever order the handlers finish.
 *
 * The first envelope must be the signed `wire.link.open`; this node answers
 * with its signed `wire.link.accept` and both derive the link's keys. Every
 * later envelope must come from the opener's key and is link-authenticated
 * (or signed); each one passes the same verifier as an HTTP request (window,
 * replay, recipient, kind) before a handler sees it. Bounds: bodies up to
 * LINK_MAX_BODY_BYTES, LINK_MAX_IN_PROGRESS messages in progress per link,
 * body bytes charged to the node's InboundBudget until answered, MAX_LINKS
 * links per server, idle links closed after LINK_IDLE_MS, and no further
 * reading while more than LINK_MAX_QUEUED_BYTES of answers wait to be sent.
 */
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { BorgError, type ErrorCode } from '../errors.js'
import { bytesToHex, concatBytes } from '../bytes.js'
import type { Logger } from '../log.js'
import type { Clock } from '../wire/clock.js'
import { BodyType, type Incoming, type Outgoing } from '../wire/message.js'
import type { Random } from '../wire/random.js'
import type { Responder } from '../wire/transport.js'
import { parseHeader, type EnvelopeHeader } from '../envelope/codec.js'
import { readEnvelopeBytes, type ReadError } from '../envelope/reader.js'
import { seal, type EnvelopeSigner, type Sealed } from '../envelope/seal.js'
import { EnvelopeSplitter } from '../envelope/splitter.js'
import type { EnvelopeVerifier } from '../envelope/verifier.js'
import type { BodyAllowance, InboundBudget } from './inbound-budget.js'
import { formatEndpoint, observedPeer } from './endpoint.js'
import { LinkEphemeral, X25519_KEY_BYTES, linkAuthenticator, linkSigner } from './link-keys.js'
import { ACK_KIND, LINK_ACCEPT_KIND, LINK_MAX_BODY_BYTES, LINK_MAX_IN_PROGRESS, LINK_OPEN_KIND, LINK_PATH, LINK_PROTOCOL, errorMessage, wireChunks } from './http-mapping.js'

/** Links one server keeps at once; an upgrade beyond is answered 503 (the client uses plain requests). */
export const MAX_LINKS = 1024
/** A link with nothing in progress for this long is closed (its client opens a new one when needed). */
export const LINK_IDLE_MS = 600_000
/** Answers queued unsent on a link beyond this: the link reads no further messages until they drain. */
export const LINK_MAX_QUEUED_BYTES = 16 * 1024 * 1024
/** The opening envelope must arrive this soon after the upgrade. */
export const LINK_OPEN_WAIT_MS = 10_000

export interface LinkServerOptions {
  signer: EnvelopeSigner
  clock: Clock
  random: Random
  verifier: EnvelopeVerifier
  log: Logger
  budget: InboundBudget
  maxHoldMs: number
  stats: { requests: number; delivered: number; replied: number; bodyBytes: number }
  /** Links kept at once (default MAX_LINKS; 0: this node takes none). */
  maxLinks?: number
  /** Runs the node's handler; returns the refusal it threw, if any (WireServer.invokeHandler). */
  invoke(incoming: Incoming, responder: Responder | undefined): BorgError | undefined
}

export class LinkServer {
  private readonly links = new Set<ServerLink>()

  constructor(readonly options: LinkServerOptions) {}

  get size(): number {
    return this.links.size
  }

  /** The HTTP server's 'upgrade' event. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '').split('?')[0]
    if (path !== LINK_PATH || (req.headers.upgrade ?? '').toLowerCase() !== LINK_PROTOCOL) {
      return void socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
    }
    if (this.links.size >= (this.options.maxLinks ?? MAX_LINKS)) {
      return void socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${LINK_PROTOCOL}\r\n\r\n`)
    const link = new ServerLink(this, socket, observedPeer(req.socket))
    this.links.add(link)
    socket.once('close', () => this.links.delete(link))
    if (head.length > 0) link.receive(head)
  }

  close(): void {
    for (const link of this.links) link.destroy()
    this.links.clear()
  }
}

class ServerLink {
  private readonly splitter: EnvelopeSplitter
  private readonly ephemeral = new LinkEphemeral()
  private opener?: { keyId: Uint8Array; mac?: EnvelopeSigner; inKey?: Uint8Array }
  /** Pieces of the envelope being received (at most one envelope's worth). */
  private pieces: Uint8Array[] = []
  private allowance?: BodyAllowance
  /** Why the envelope being received will be refused once it is in (busy). */
  private refusal?: BorgError
  /** The start of the envelope being received (its header, unparsed until an error needs it). */
  private head?: Uint8Array
  private inProgress = 0
  private closed = false
  private readonly openTimer: { cancel(): void }
  private readonly remote: string

  constructor(
    private readonly server: LinkServer,
    private readonly socket: Duplex,
    /** The opener's connection as this node sees it (Incoming.remote of every message). */
    private readonly peer: { address: string; port: number } | undefined,
  ) {
    const { clock } = server.options
    this.remote = peer ? formatEndpoint({ host: peer.address, port: peer.port }) : 'unknown address'
    this.splitter = new EnvelopeSplitter({
      start: (bodyLength, total, head) => this.start(bodyLength, total, head),
      data: (bytes) => this.pieces.push(bytes),
      end: () => this.end(),
    })
    const tcp = socket as Duplex & Partial<Pick<Socket, 'setNoDelay' | 'setTimeout'>>
    tcp.setNoDelay?.(true) // answers are single small writes: Nagle would hold them for the next
    tcp.setTimeout?.(LINK_IDLE_MS, () => this.destroy())
    this.openTimer = clock.after(LINK_OPEN_WAIT_MS, () => {
      if (!this.opener) this.destroy()
    })
    socket.on('data', (chunk: Buffer) => this.receive(chunk))
    socket.on('error', () => this.destroy())
    socket.on('close', () => this.destroy())
  }

  receive(chunk: Uint8Array): void {
    if (this.closed) return
    this.server.options.stats.bodyBytes += chunk.length
    try {
      this.splitter.push(chunk)
    } catch (error) {
      if (error instanceof BorgError) return this.refuseAndClose(this.server.options.verifier.reject(error), (error as ReadError).header ?? this.headerSoFar())
      // A bug here must not take the node down with it (over HTTP the request would get `internal`).
      this.server.options.log.error(`unexpected error on a link from ${this.remote}: ${(error as Error).stack ?? error}`)
      this.destroy()
    }
  }

  /** The header of the envelope being received, if it decodes (only to address an error to its sender). */
  private headerSoFar(): EnvelopeHeader | undefined {
    try {
      const parsed = this.head && parseHeader(this.head)
      return parsed && parsed.status === 'ok' ? parsed.header : undefined
    } catch {
      return undefined
    }
  }

  destroy(): void {
    if (this.closed) return
    this.closed = true
    this.openTimer.cancel()
    this.allowance?.release()
    this.socket.destroy()
  }

  /** A new envelope's header is in: refuse what no link carries before its body is read. */
  private start(bodyLength: number, total: number, head: Uint8Array): void {
    this.head = head
    this.refusal = undefined
    this.server.options.stats.requests++
    if (bodyLength > LINK_MAX_BODY_BYTES) {
      throw new BorgError('too-large', `a link carries bodies up to ${LINK_MAX_BODY_BYTES} bytes; send this ${bodyLength}-byte message as an HTTP request of its own`)
    }
    // Busy is not the stream's fault: the message is read and answered `busy`, the link stays.
    if (this.opener && this.inProgress >= LINK_MAX_IN_PROGRESS) {
      this.refusal = new BorgError('busy', `${LINK_MAX_IN_PROGRESS} messages are already in progress on this link; wait for their answers`)
      return
    }
    const allowance = this.server.options.budget.open(this, LINK_MAX_IN_PROGRESS)
    try {
      allowance.admit(bodyLength)
      allowance.reserve(total)
    } catch (error) {
      allowance.release()
      if (!(error instanceof BorgError) || !this.opener) throw error
      this.refusal = error
      return
    }
    this.allowance = allowance
  }

  private end(): void {
    const bytes = this.pieces.length === 1 ? this.pieces[0]! : concatBytes(...this.pieces)
    this.pieces = []
    this.head = bytes
    const allowance = this.allowance
    this.allowance = undefined
    const { verifier, clock, stats, invoke } = this.server.options
    if (!this.opener) {
      allowance?.release()
      return this.open(bytes)
    }
    if (!allowance) {
      const header = this.headerSoFar()
      const refusal = verifier.reject(this.refusal ?? new BorgError('busy', 'link busy'), header)
      if (!header) return this.refuseAndClose(new BorgError('malformed', 'malformed envelope'), undefined)
      return this.answer(header, errorMessage(refusal.code, refusal.message, clock.now()))
    }
    const receivedAt = clock.now()
    let incoming: Incoming
    let header: EnvelopeHeader
    try {
      ;({ header, incoming } = readEnvelopeBytes(bytes, verifier, { how: { authenticate: this.authenticate } }))
    } catch (error) {
      allowance.release()
      if (!(error instanceof BorgError)) throw error
      const code = error.code
      const refused = (error as ReadError).header
      // A message that fails authentication or parsing says the stream itself is wrong.
      if (!refused || code === 'malformed' || code === 'bad-signature' || code === 'refused') return this.refuseAndClose(error, refused)
      return this.answer(refused, errorMessage(code, error.message, clock.now()))
    }
    stats.delivered++
    this.inProgress++
    let done = false
    let hold: { cancel(): void } | undefined
    const finish = (): boolean => {
      if (done) return false
      done = true
      hold?.cancel()
      this.inProgress--
      allowance.release()
      return true
    }
    const message = { ...incoming, receivedAt, ...(this.peer ? { remote: this.peer } : {}) }
    if (!header.expectsReply) {
      const refusal = invoke(message, undefined)
      finish()
      return this.answer(header, refusal ? errorMessage(refusal.code, refusal.message, clock.now()) : { kind: ACK_KIND })
    }
    hold = clock.after(this.server.options.maxHoldMs, () => responder.fail('timeout', `no reply to ${header.kind} within the server's limit`))
    const responder: Responder = {
      reply: (reply: Outgoing) => {
        if (!finish()) return
        stats.replied++
        this.answer(header, reply)
      },
      fail: (code: ErrorCode, text: string) => {
        if (!finish()) return
        this.answer(header, errorMessage(code, text, clock.now()))
      },
    }
    invoke(message, responder)
  }

  private get authenticate() {
    const opener = this.opener!
    return (this.authenticateCache ??= linkAuthenticator(opener.keyId, () => opener.inKey))
  }
  private authenticateCache?: ReturnType<typeof linkAuthenticator>

  /** The first envelope: a signed `wire.link.open` carrying the opener's X25519 key. */
  private open(bytes: Uint8Array): void {
    const { verifier, signer, clock, random } = this.server.options
    let header: EnvelopeHeader
    let body: Uint8Array
    try {
      ;({ header, incoming: { body } } = readEnvelopeBytes(bytes, verifier, { how: { transportKind: true } }))
      if (header.kind !== LINK_OPEN_KIND) throw verifier.reject(new BorgError('malformed', `a link starts with ${LINK_OPEN_KIND}, not ${header.kind}`), header)
      if (!header.expectsReply || header.to.type !== 'node' || header.bodyType !== BodyType.binary || body.length !== X25519_KEY_BYTES) {
        throw verifier.reject(new BorgError('malformed', `${LINK_OPEN_KIND} is a request to this node whose binary body is a ${X25519_KEY_BYTES}-byte X25519 key`), header)
      }
    } catch (error) {
      if (!(error instanceof BorgError)) throw error
      return this.refuseAndClose(error, (error as ReadError).header ?? this.headerSoFar())
    }
    this.openTimer.cancel()
    const to = { type: 'node' as const, id: header.sender }
    const accept = seal(signer, { kind: LINK_ACCEPT_KIND, body: this.ephemeral.publicKey, to }, { timestamp: clock.now(), random, ref: header.id })
    let keys: ReturnType<LinkEphemeral['derive']>
    try {
      keys = this.ephemeral.derive(body, header, accept.header)
    } catch (error) {
      if (!(error instanceof BorgError)) throw error
      return this.refuseAndClose(verifier.reject(error, header), header)
    }
    this.opener = { keyId: header.sender, inKey: keys.opener, mac: linkSigner(signer.keyId, keys.acceptor) }
    this.write(accept)
    this.server.options.log.debug(`link opened by ${bytesToHex(header.sender).slice(0, 16)}… from ${this.remote}`)
  }

  /** One envelope back on the link, naming the message it answers. */
  private answer(request: EnvelopeHeader, message: Outgoing): void {
    if (this.closed) return
    const { clock, random } = this.server.options
    const to = message.to ?? { type: 'node' as const, id: request.sender }
    const sealed = seal(this.opener!.mac!, { ...message, to }, { timestamp: clock.now(), random, ref: request.id })
    this.write(sealed)
  }

  /** Answer with a signed error (the opener may not have keys yet) and close: the stream cannot be trusted further. */
  private refuseAndClose(error: BorgError, header: EnvelopeHeader | undefined): void {
    if (this.closed) return
    const { signer, clock, random, log } = this.server.options
    log.warn(`closing a link from ${this.remote}: ${error.code}: ${error.message}`, `link-reject:${error.code}`)
    const to = header ? { type: 'node' as const, id: header.sender } : undefined
    const sealed = seal(signer, { ...errorMessage(error.code, error.message, clock.now()), to }, { timestamp: clock.now(), random, ref: header?.id })
    this.closed = true
    this.openTimer.cancel()
    this.allowance?.release()
    this.socket.end(wireChunks(sealed)[0])
  }

  private write(sealed: Sealed): void {
    if (this.closed || this.socket.destroyed) return
    const socket = this.socket
    const chunks = wireChunks(sealed)
    if (chunks.length === 1) socket.write(chunks[0]!)
    else {
      socket.cork()
      for (const chunk of chunks) socket.write(chunk)
      socket.uncork()
    }
    // A client that does not read its answers gets no more read from it (its messages wait in the kernel).
    if (socket.writableLength > LINK_MAX_QUEUED_BYTES && !socket.isPaused()) {
      socket.pause()
      socket.once('drain', () => socket.resume())
    }
  }
}
