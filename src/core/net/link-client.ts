/**
 * The opening end of links (docs/protocol.md §4.5): one kept TLS connection
 * per peer endpoint that carries small messages without an HTTP request each,
 * many in flight at once, answered in any order and matched by `ref`.
 *
 * Opening: a pinned TLS connection (the same certificate pin as every HTTPS
 * request), an HTTP upgrade to `borg-link/1`, the signed `wire.link.open`
 * with a fresh X25519 key, and the peer's signed `wire.link.accept`, which
 * must come from the pinned node and name the opening. After that, each
 * message is link-authenticated (HMAC-SHA-512) instead of signed, and each
 * answer must be link-authenticated by the peer (or signed by it).
 *
 * A peer that does not take links (no 101) is asked with plain requests for
 * LINK_RETRY_MS; a link idle for LINK_CLIENT_IDLE_MS is closed. An idle link
 * does not keep the process alive.
 */
import type { TLSSocket } from 'node:tls'
import { BorgError } from '../errors.js'
import { bytesToHex, equalBytes, parseHex } from '../bytes.js'
import type { Logger } from '../log.js'
import type { Clock } from '../wire/clock.js'
import { BodyType, type Incoming, type Outgoing, type Target } from '../wire/message.js'
import type { Random } from '../wire/random.js'
import type { EnvelopeHeader } from '../envelope/codec.js'
import { EnvelopeReader, readEnvelopeBytes } from '../envelope/reader.js'
import { seal, type EnvelopeSigner } from '../envelope/seal.js'
import { EnvelopeSplitter } from '../envelope/splitter.js'
import type { Authenticate, EnvelopeVerifier } from '../envelope/verifier.js'
import { ACK_KIND, ERROR_KIND, LINK_ACCEPT_KIND, LINK_MAX_BODY_BYTES, LINK_MAX_IN_PROGRESS, LINK_OPEN_KIND, LINK_PATH, LINK_PROTOCOL, SMALL_BODY_BYTES, wireChunks } from './http-mapping.js'
import { LinkEphemeral, X25519_KEY_BYTES, linkAuthenticator, linkSigner } from './link-keys.js'
import type { Pin } from './pins.js'
import { connectPinned, readHandshake } from './upgrade.js'
import { identityMismatch, remoteError } from './remote-error.js'

/** A peer that refused the upgrade is asked with plain requests for this long before trying again. */
export const LINK_RETRY_MS = 10 * 60_000
/** A link with nothing in flight for this long is closed (well before the acceptor's own idle limit). */
export const LINK_CLIENT_IDLE_MS = 120_000

export interface LinkPoolOptions {
  signer: EnvelopeSigner
  clock: Clock
  random: Random
  /** Checks answers (as replies: bound to our request ids). */
  verifier: EnvelopeVerifier
  log: Logger
  /** A peer's refusal arrived (the client learns a far-off clock from it). */
  onRemoteError?: (endpoint: string, error: BorgError) => void
}

export class LinkPool {
  private readonly open = new Map<string, ClientLink>()
  private readonly opening = new Map<string, Promise<ClientLink | undefined>>()
  /** Endpoint → monotonic time until which it is asked with plain requests. */
  private readonly declined = new Map<string, number>()
  /** Replaced links still carrying messages: closed by the sweep once idle. */
  private readonly retired = new Set<ClientLink>()
  private readonly sweeper: ReturnType<typeof setInterval>
  private closed = false

  constructor(private readonly options: LinkPoolOptions) {
    this.sweeper = setInterval(() => this.sweep(), LINK_CLIENT_IDLE_MS / 4)
    this.sweeper.unref?.()
  }

  /** Whether a message may ride a link: a small body, no parts (bulk goes as an HTTP request of its own). */
  static carries(message: Outgoing): boolean {
    return !message.parts && (message.body?.length ?? 0) <= LINK_MAX_BODY_BYTES
  }

  get size(): number {
    return this.open.size
  }

  /**
   * The link to `endpoint` (opened if needed), or undefined: the peer takes no
   * links, or this one is full (the caller sends a plain request). Throws what
   * connecting throws (the peer is down, its certificate is not the pinned one).
   */
  async linkTo(endpoint: string, pin: Pin, deadline: number): Promise<ClientLink | undefined> {
    const current = this.open.get(endpoint)
    if (current && !current.closed && samePin(current.pin, pin)) return current.inFlight < LINK_MAX_IN_PROGRESS ? current : undefined
    if (this.closed || (this.declined.get(endpoint) ?? 0) > this.options.clock.monotonic()) return undefined
    let pending = this.opening.get(endpoint)
    if (!pending) {
      pending = this.connect(endpoint, pin, deadline).finally(() => this.opening.delete(endpoint))
      this.opening.set(endpoint, pending)
    }
    const link = await pending
    return link && !link.closed && samePin(link.pin, pin) && link.inFlight < LINK_MAX_IN_PROGRESS ? link : undefined
  }

  close(): void {
    this.closed = true
    clearInterval(this.sweeper)
    for (const link of [...this.open.values(), ...this.retired]) link.close(new BorgError('unavailable', 'link closed: the client is shutting down'))
    this.open.clear()
    this.retired.clear()
  }

  private sweep(): void {
    const now = this.options.clock.monotonic()
    for (const link of this.retired) {
      if (link.inFlight === 0) link.close(new BorgError('unavailable', 'link closed: replaced'))
      if (link.closed) this.retired.delete(link)
    }
    for (const [endpoint, link] of this.open) {
      if (link.closed) this.open.delete(endpoint)
      else if (link.inFlight === 0 && now - link.lastUsed > LINK_CLIENT_IDLE_MS) {
        link.close(new BorgError('unavailable', 'link closed: idle'))
        this.open.delete(endpoint)
      }
    }
  }

  private async connect(endpoint: string, pin: Pin, deadline: number): Promise<ClientLink | undefined> {
    const { signer, clock, random, verifier } = this.options
    const socket = await connectPinned(endpoint, pin, Math.max(1, deadline - clock.monotonic()))
    let handedOver = false
    try {
      const peerKeyId = parseHex(pin.nodeId)
      const ephemeral = new LinkEphemeral()
      const to: Target = { type: 'node', id: peerKeyId }
      const opening = seal(signer, { kind: LINK_OPEN_KIND, body: ephemeral.publicKey, to }, { expectsReply: true, timestamp: clock.now(), random })
      const upgrade = `GET ${LINK_PATH} HTTP/1.1\r\nHost: ${endpoint}\r\nConnection: Upgrade\r\nUpgrade: ${LINK_PROTOCOL}\r\n\r\n`
      socket.write(Buffer.concat([Buffer.from(upgrade, 'latin1'), ...wireChunks(opening)]))
      const answer = await readHandshake(socket, Math.max(1, deadline - clock.monotonic()), SMALL_BODY_BYTES, 'link')
      // Nothing but the acceptance can come before we send anything link-authenticated.
      if (answer.rest.length > 0) throw new BorgError('bad-reply', 'unexpected bytes after the link acceptance')
      if (answer.status !== 101) {
        this.declined.set(endpoint, clock.monotonic() + LINK_RETRY_MS)
        this.options.log.debug(`${endpoint} answered the link upgrade with HTTP ${answer.status}: plain requests for now`)
        return undefined
      }
      // The acceptance is signed (there are no link keys yet) by the pinned node, answering our opening.
      const { header, incoming } = readEnvelopeBytes(answer.envelope, verifier, { asReply: true, how: { authenticate: linkAuthenticator(peerKeyId, () => undefined) } })
      if (!header.ref || !equalBytes(header.ref, opening.header.id)) throw new BorgError('bad-reply', `${endpoint} answered the link opening with a reply to another message`)
      if (header.kind === ERROR_KIND) {
        const error = remoteError(endpoint, incoming)
        this.options.onRemoteError?.(endpoint, error)
        throw error
      }
      if (header.kind !== LINK_ACCEPT_KIND || header.bodyType !== BodyType.binary || incoming.body.length !== X25519_KEY_BYTES) {
        throw new BorgError('bad-reply', `${endpoint} answered the link opening with ${header.kind}, not a ${LINK_ACCEPT_KIND} carrying its key`)
      }
      const keys = ephemeral.derive(incoming.body, opening.header, header)
      const link = new ClientLink(socket, endpoint, pin, peerKeyId, linkSigner(signer.keyId, keys.opener), linkAuthenticator(peerKeyId, () => keys.acceptor), this.options)
      handedOver = true
      if (this.closed) link.close(new BorgError('unavailable', 'link closed: the client is shutting down'))
      else {
        // A link to the certificate pinned before (the node rotated it) finishes what it carries, then goes.
        const previous = this.open.get(endpoint)
        if (previous && previous !== link) this.retired.add(previous)
        this.open.set(endpoint, link)
      }
      return link
    } catch (error) {
      if (error instanceof BorgError && (error.code === 'malformed' || error.code === 'bad-signature' || error.code === 'refused' || error.code === 'body-hash-mismatch')) {
        throw new BorgError('bad-reply', `${endpoint} sent an invalid link acceptance: ${error.message}`, { cause: error })
      }
      throw error
    } finally {
      if (!handedOver) socket.destroy()
    }
  }
}

interface Waiting {
  expectsReply: boolean
  resolve(reply: Incoming | undefined): void
  reject(error: BorgError): void
  timer: ReturnType<typeof setTimeout>
}

export class ClientLink {
  closed = false
  lastUsed: number
  private readonly waiting = new Map<string, Waiting>()
  private readonly splitter: EnvelopeSplitter
  private reader?: EnvelopeReader

  constructor(
    private readonly socket: TLSSocket,
    readonly endpoint: string,
    readonly pin: Pin,
    private readonly peerKeyId: Uint8Array,
    private readonly mac: EnvelopeSigner,
    authenticate: Authenticate,
    private readonly options: LinkPoolOptions,
  ) {
    this.lastUsed = options.clock.monotonic()
    this.splitter = new EnvelopeSplitter({
      start: () => (this.reader = new EnvelopeReader(options.verifier, { asReply: true, how: { authenticate } })),
      data: (bytes) => this.reader!.push(bytes),
      end: () => this.settle(this.reader!.finish()),
    })
    socket.on('data', (chunk: Buffer) => {
      try {
        this.splitter.push(chunk)
      } catch (error) {
        const why = error instanceof BorgError ? `${error.code}: ${error.message}` : String(error)
        this.close(new BorgError('bad-reply', `${endpoint} sent an invalid envelope on its link (${why})`, { cause: error }))
      }
    })
    socket.on('error', (error) => this.close(new BorgError('unavailable', `${endpoint}: link lost (${error.message})`, { cause: error })))
    socket.on('close', () => this.close(new BorgError('unavailable', `${endpoint}: link closed`)))
    socket.unref()
  }

  get inFlight(): number {
    return this.waiting.size
  }

  /** Send one message; resolves with the verified reply (requests) or undefined (one-way, acknowledged). */
  exchange(message: Outgoing, expectsReply: boolean, deadline: number, onDispatch?: (networkTime: number) => void): Promise<Incoming | undefined> {
    if (this.closed) return Promise.reject(new BorgError('unavailable', `${this.endpoint}: link closed`))
    const { clock, random } = this.options
    const to = message.to ?? { type: 'node' as const, id: this.peerKeyId }
    const sealed = seal(this.mac, { ...message, to }, { expectsReply, timestamp: clock.now(), random })
    const key = bytesToHex(sealed.header.id)
    const remaining = Math.max(1, deadline - clock.monotonic())
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key)
        this.idleUnref()
        reject(new BorgError('timeout', `no answer from ${this.endpoint} within ${Math.round(remaining)} ms`))
      }, remaining)
      this.waiting.set(key, { expectsReply, resolve, reject, timer })
      this.lastUsed = clock.monotonic()
      this.socket.ref()
      onDispatch?.(clock.now())
      this.socket.write(wireChunks(sealed)[0]!) // small, no parts (LinkPool.carries): one buffer
    })
  }

  close(error: BorgError): void {
    if (this.closed) return
    this.closed = true
    this.socket.destroy()
    for (const waiting of this.waiting.values()) {
      clearTimeout(waiting.timer)
      waiting.reject(error)
    }
    this.waiting.clear()
  }

  /** One answer is in and verified: hand it to the message it names (a late one finds nobody and is dropped). */
  private settle({ header, incoming }: { header: EnvelopeHeader; incoming: Incoming }): void {
    this.reader = undefined
    const receivedAt = this.options.clock.now()
    const key = header.ref ? bytesToHex(header.ref) : ''
    const waiting = this.waiting.get(key)
    if (!waiting) return
    this.waiting.delete(key)
    clearTimeout(waiting.timer)
    this.idleUnref()
    if (header.kind === ERROR_KIND) {
      const error = remoteError(this.endpoint, incoming)
      this.options.onRemoteError?.(this.endpoint, error)
      return waiting.reject(error)
    }
    if (header.kind === ACK_KIND) {
      if (waiting.expectsReply) return waiting.reject(new BorgError('bad-reply', `${this.endpoint} acknowledged a request without replying`))
      return waiting.resolve(undefined)
    }
    if (!waiting.expectsReply) return waiting.reject(new BorgError('bad-reply', `${this.endpoint} replied to a one-way message`))
    if (incoming.fromHex !== this.pin.nodeId) return waiting.reject(identityMismatch(this.endpoint, this.pin.nodeId, incoming.fromHex))
    waiting.resolve({ ...incoming, receivedAt })
  }

  /** Nothing in flight: the link must not keep the process alive. */
  private idleUnref(): void {
    if (this.waiting.size === 0) this.socket.unref()
  }
}

function samePin(a: Pin, b: Pin): boolean {
  return a.nodeId === b.nodeId && a.certSha256 === b.certSha256
}
