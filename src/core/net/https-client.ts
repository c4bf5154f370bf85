/**
 * Sending envelopes to other nodes over HTTPS. Before the first message to an
 * endpoint the client fetches the node's card on a one-off connection, checks
 * that the certificate on that very connection is the one the card binds, and
 * pins it; every pooled keep-alive connection afterwards must present it too.
 * Replies are envelopes as well and are verified like any inbound message, plus:
 * signed by the pinned node, addressed to us, and naming our request id.
 */
import { Readable } from 'node:stream'
import { BorgError, type ErrorCode } from '../errors.js'
import { bytesToHex, equalBytes, parseHex } from '../bytes.js'
import type { Logger } from '../log.js'
import type { AdjustableClock, Clock } from '../wire/clock.js'
import type { Incoming, Outgoing } from '../wire/message.js'
import type { Random } from '../wire/random.js'
import type { Peer, SendOptions } from '../wire/transport.js'
import { seal, sealedLength, type EnvelopeSigner, type Sealed } from '../envelope/seal.js'
import type { EnvelopeVerifier } from '../envelope/verifier.js'
import type { EnvelopeHeader } from '../envelope/codec.js'
import { readEnvelopeBytes, readEnvelopeStream } from '../envelope/reader.js'
import { parseCard } from './card.js'
import { identityMismatch, remoteError } from './remote-error.js'
import { LinkPool } from './link-client.js'
import { formatEndpoint, originOf, parseEndpoint } from './endpoint.js'
import { ACK_KIND, CARD_PATH, ENVELOPE_CONTENT_TYPE, ERROR_KIND, MESSAGE_PATH, RELAY_PATH, SMALL_BODY_BYTES, wireChunks } from './http-mapping.js'
import { isRelayed, parseRelayed } from './relayed-endpoint.js'
import { PinStore, TlsPinError, pinnedConnector, recordingConnector, type Pin } from './pins.js'
import { Agent, Client, request, type Dispatcher } from './undici.js'

export interface WireClientOptions {
  signer: EnvelopeSigner
  clock: Clock
  random: Random
  /** Verifies replies (window, replay, signature, recipient = us). */
  verifier: EnvelopeVerifier
  log: Logger
  pins?: PinStore
  timeoutMs?: number
  /** Small messages ride links (§4.5); default on unless BORG_LINKS=0. */
  links?: boolean
}

/** Whether links are on by default: BORG_LINKS=0 sends every message as an HTTP request of its own. */
export function linksFromEnv(env: Record<string, string | undefined> = process.env): boolean {
  return env.BORG_LINKS !== '0'
}

export const DEFAULT_TIMEOUT_MS = 10_000
const MAX_CARD_BYTES = 16 * 1024

export class WireClient {
  readonly pins: PinStore
  private readonly agent: Agent
  private readonly cardFetches = new Map<string, Promise<Pin>>()
  private readonly timeoutMs: number
  /** Kept connections for small messages (undefined: every message is an HTTP request). */
  readonly links?: LinkPool

  constructor(private readonly options: WireClientOptions) {
    this.pins = options.pins ?? new PinStore()
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    if (options.links ?? linksFromEnv()) {
      this.links = new LinkPool({
        signer: options.signer,
        clock: options.clock,
        random: options.random,
        verifier: options.verifier,
        log: options.log,
        onRemoteError: (endpoint, error) => this.learnSkew(endpoint, error),
      })
    }
    this.agent = new Agent({
      connect: pinnedConnector(this.pins, this.timeoutMs),
      // Tree neighbours talk in bursts (a broadcast every now and then): keep
      // their connections for minutes rather than paying two handshakes a hop.
      keepAliveTimeout: 120_000,
      keepAliveMaxTimeout: 600_000,
      connections: 64,
    })
  }

  /** Transport.send: runs in the background and reports through onResult exactly once. */
  send(peer: Peer, message: Outgoing, options: SendOptions = {}): void {
    this.exchange(peer, message, options).then(
      (reply) => options.onResult?.(null, reply),
      (error) => options.onResult?.(toBorgError(error, peer.endpoint)),
    )
  }

  /** Send one envelope; resolves with the verified reply (requests) or undefined (one-way, acknowledged). */
  async exchange(peer: Peer, message: Outgoing, options: SendOptions = {}): Promise<Incoming | undefined> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs
    const deadline = this.options.clock.monotonic() + timeoutMs
    const adoptedBefore = this.skewAdopted
    try {
      return await this.exchangeBy(peer, message, options, deadline)
    } catch (error) {
      // Refused for this process's clock, which the refusal (or another one meanwhile) has just set to
      // the network's time: the message was turned away before any handler saw it, so it goes again,
      // sealed anew. Once per process, like the adoption itself: a CLI command on a machine whose clock
      // is far from network time then works on its first request instead of failing it.
      if (adoptedBefore || !this.skewAdopted || !isClockRefusal(error)) throw error
      return await this.exchangeBy(peer, message, options, deadline)
    }
  }

  private async exchangeBy(peer: Peer, message: Outgoing, options: SendOptions, deadline: number): Promise<Incoming | undefined> {
    if (isRelayed(peer.endpoint)) return this.exchangeRelayed(peer, message, options, deadline)
    try {
      return await this.attempt(peer, message, options, deadline)
    } catch (error) {
      // A pinned endpoint presenting another certificate may have rotated it:
      // re-read its card once; only a card signed by the same node is accepted.
      if (!(error instanceof TlsPinError) || !this.pins.get(error.endpoint)) throw error
      const previous = this.pins.get(error.endpoint)!
      this.pins.delete(error.endpoint)
      await this.resolvePin(peer.endpoint, peer.id ?? previous.nodeId, deadline)
      return await this.attempt(peer, message, options, deadline)
    }
  }

  /** The default time a message may take. */
  get timeout(): number {
    return this.timeoutMs
  }

  /** Learn (or recall) the pinned identity and certificate of an endpoint. */
  async resolvePin(endpoint: string, expectedId: string | undefined, deadline = this.options.clock.monotonic() + this.timeoutMs): Promise<Pin> {
    const key = formatEndpoint(parseEndpoint(endpoint))
    const known = this.pins.get(key)
    if (known && known.expiresAt > this.options.clock.now()) {
      if (expectedId && known.nodeId !== expectedId) throw identityMismatch(key, expectedId, known.nodeId)
      return known
    }
    let pending = this.cardFetches.get(key)
    if (!pending) {
      pending = this.fetchCard(key, deadline).finally(() => this.cardFetches.delete(key))
      this.cardFetches.set(key, pending)
    }
    const pin = await pending
    if (expectedId && pin.nodeId !== expectedId) throw identityMismatch(key, expectedId, pin.nodeId)
    return pin
  }

  /** Learn the peer's pin and open a pooled connection now (best effort, in the background). */
  warm(peer: Peer): void {
    if (isRelayed(peer.endpoint)) {
      for (const relay of parseRelayed(peer.endpoint)) this.warm({ endpoint: relay })
      return
    }
    const key = formatEndpoint(parseEndpoint(peer.endpoint))
    if (this.warmed.has(key)) return
    this.warmed.add(key)
    if (this.warmed.size > 4096) this.warmed.delete(this.warmed.values().next().value!)
    if (this.links) {
      void this.resolvePin(key, peer.id)
        .then((pin) => this.links!.linkTo(key, pin, this.options.clock.monotonic() + this.timeoutMs))
        .catch(() => this.warmed.delete(key))
      return
    }
    void this.resolvePin(key, peer.id)
      .then(() => request(`${originOf(parseEndpoint(key))}${CARD_PATH}`, { method: 'GET', dispatcher: this.agent, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs }))
      .then((response) => response.body.dump())
      .catch(() => this.warmed.delete(key))
  }

  private readonly warmed = new Set<string>()
  private skewAdopted = false

  /**
   * A peer refused our message as too old or too new and said what time it is:
   * our clock is far off. Once per process (a lying peer gets one shot, and
   * network time from the crono cell takes over anyway), adopt its time so we
   * can talk at all.
   */
  private learnSkew(endpoint: string, error: BorgError): void {
    const now = error.details?.now
    const clock = this.options.clock as Partial<AdjustableClock> & Clock
    if (this.skewAdopted || typeof now !== 'number' || typeof clock.setOffset !== 'function') return
    const skew = now - clock.now()
    if (Math.abs(skew) < this.options.verifier.windowMs / 2) return
    this.skewAdopted = true
    clock.setOffset(clock.offset! + skew)
    this.options.log.warn(`this machine's clock is ${(skew / 1000).toFixed(1)} s off ${endpoint}'s network time: adopting it until network time is synchronised`)
  }

  /**
   * GET a JSON document from a node's read-only monitor endpoint, over the same
   * pinned TLS as everything else (the monitor serves the node's card too).
   */
  async getJson<T = unknown>(endpoint: string, path: string, expectedId?: string): Promise<T> {
    const key = formatEndpoint(parseEndpoint(endpoint))
    try {
      await this.resolvePin(key, expectedId)
      const response = await request(`${originOf(parseEndpoint(key))}${path}`, {
        method: 'GET',
        dispatcher: this.agent,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      })
      const text = await response.body.text()
      if (response.statusCode === 404) throw new BorgError('not-found', `${key}${path}: not found`)
      if (response.statusCode !== 200) throw new BorgError('unavailable', `${key}${path} answered HTTP ${response.statusCode}`)
      try {
        return JSON.parse(text) as T
      } catch {
        throw new BorgError('bad-reply', `${key}${path} did not return JSON`)
      }
    } catch (error) {
      throw toBorgError(error, key)
    }
  }

  async close(): Promise<void> {
    this.links?.close()
    await this.agent.close()
  }

  private async fetchCard(endpoint: string, deadline: number): Promise<Pin> {
    let presented: string | undefined
    const remaining = Math.max(1, deadline - this.options.clock.monotonic())
    const client = new Client(originOf(parseEndpoint(endpoint)), {
      connect: recordingConnector(remaining, (sha) => (presented = sha)),
      pipelining: 0,
    })
    try {
      const response = await client.request({ path: CARD_PATH, method: 'GET', headersTimeout: remaining, bodyTimeout: remaining })
      const bytes = await readBody(response.body, MAX_CARD_BYTES)
      if (response.statusCode !== 200) throw new BorgError('bad-reply', `${endpoint} answered HTTP ${response.statusCode} for its node card: not a borg node?`)
      const card = parseCard(bytes)
      if (card.expiresAt <= this.options.clock.now()) throw new BorgError('expired', `node card of ${endpoint} expired at ${new Date(card.expiresAt).toISOString()}`)
      if (presented !== card.certSha256) {
        throw new BorgError(
          'tls-pin',
          `${endpoint} presented TLS certificate ${presented?.slice(0, 16) ?? '(none)'}… but its node card (signed by ${card.nodeId.slice(0, 16)}…) binds ${card.certSha256.slice(0, 16)}…: refusing the connection (possible man-in-the-middle)`,
          { details: { endpoint, presented, pinned: card.certSha256, nodeId: card.nodeId } },
        )
      }
      this.options.log.debug(`pinned ${endpoint} -> node ${card.nodeId.slice(0, 16)}… cert ${card.certSha256.slice(0, 16)}…`)
      return this.pins.set(endpoint, card)
    } catch (error) {
      if (error instanceof BorgError && (error.code === 'malformed' || error.code === 'bad-signature' || error.code === 'body-hash-mismatch')) {
        throw new BorgError('bad-reply', `${endpoint} sent an invalid node card: ${error.message}`, { cause: error })
      }
      throw toBorgError(error, endpoint)
    } finally {
      void client.close().catch(() => {})
    }
  }

  /** Relay endpoint (of each relayed node) that carried its last message: tried first next time. */
  private readonly relayChoice = new Map<string, string>()

  /**
   * Send through a relayed node's relays (§4.6): the envelope is sealed once, for the node, and
   * POSTed to one relay after another until one hands it over. A relay is passed over only when it
   * says the node is not (or no longer) there or it is busy, or cannot be reached; the same sealed
   * envelope goes to the next, so the node's replay cache keeps it to one effect.
   */
  private async exchangeRelayed(peer: Peer, message: Outgoing, options: SendOptions, deadline: number): Promise<Incoming | undefined> {
    const nodeId = peer.id
    if (!nodeId) throw new BorgError('usage', `${peer.endpoint}: sending through relays needs the node's id`)
    const relays = parseRelayed(peer.endpoint)
    const preferred = this.relayChoice.get(nodeId)
    const order = preferred && relays.includes(preferred) ? [preferred, ...relays.filter((r) => r !== preferred)] : relays
    const { signer, clock, random } = this.options
    const expectsReply = options.expectReply ?? false
    const to = message.to ?? { type: 'node' as const, id: parseHex(nodeId) }
    const sealed = seal(signer, { ...message, to }, { expectsReply, timestamp: clock.now(), random })
    let missed: BorgError | undefined
    for (const relay of order) {
      if (clock.monotonic() >= deadline) break
      try {
        const answer = await this.viaRelay(relay, nodeId, sealed, expectsReply, deadline, options.onDispatch)
        if (this.relayChoice.size >= 4096 && !this.relayChoice.has(nodeId)) this.relayChoice.delete(this.relayChoice.keys().next().value!)
        this.relayChoice.set(nodeId, relay)
        return answer
      } catch (error) {
        const borg = toBorgError(error, relay)
        // Not there, or the relay cannot be reached: the next relay. Anything else (the node's own
        // answer, a budget refusal) is the answer.
        if (!(borg as RelayMiss).relayMiss && !(borg.code === 'unavailable' && !(borg as { remote?: boolean }).remote)) {
          this.options.log.debug(`${message.kind} to node ${nodeId.slice(0, 16)}… via ${relay} failed: ${borg.code}: ${borg.message}`)
          throw borg
        }
        missed = borg
        this.options.log.debug(`relay ${relay} did not reach node ${nodeId.slice(0, 16)}…: ${borg.message}`)
      }
    }
    throw new BorgError(missed?.code ?? 'timeout', `node ${nodeId.slice(0, 16)}… could not be reached through its relays (${missed?.message ?? 'out of time'})`, { cause: missed })
  }

  private async viaRelay(relay: string, nodeId: string, sealed: Sealed, expectsReply: boolean, deadline: number, onDispatch?: (networkTime: number) => void): Promise<Incoming | undefined> {
    const pin = await this.resolvePin(relay, undefined, deadline)
    const url = `${originOf(parseEndpoint(relay))}${RELAY_PATH}/${nodeId}`
    return this.postEnvelope(url, sealed, deadline, `through relay ${relay}`, onDispatch, async (response, receivedAt) => {
      const where = `node ${nodeId.slice(0, 16)}… via ${relay}`
      let received: { header: EnvelopeHeader; incoming: Incoming }
      try {
        received = await readEnvelopeStream(response.body as AsyncIterable<Uint8Array>, this.options.verifier, { asReply: true })
      } catch (error) {
        response.body.destroy()
        const why = error instanceof BorgError ? `${error.code}: ${error.message}` : String(error)
        throw new BorgError('bad-reply', `HTTP ${response.statusCode} from ${where} did not carry a valid borg answer (${why})`, { cause: error })
      }
      const { header, incoming } = received
      if (incoming.fromHex === pin.nodeId && incoming.fromHex !== nodeId) {
        // The relay's own refusal (no reservation, over budget …), signed by the relay.
        if (header.kind !== ERROR_KIND) throw new BorgError('bad-reply', `relay ${relay} answered for the node it relays to (${header.kind}): refusing a forged answer`)
        const error = remoteError(relay, incoming)
        // Not there, gone, or this relay's share of the node's budget is used up for now: the next relay
        // (each relay keeps its own budget for the node) may carry it.
        if (error.code === 'not-found' || error.code === 'unavailable' || error.code === 'busy') throw Object.assign(error, { relayMiss: true })
        throw error
      }
      // The node's answer, signed by it for us and naming our message: the relay only carried it.
      if (incoming.fromHex !== nodeId) throw identityMismatch(where, nodeId, incoming.fromHex)
      if (!header.ref || !equalBytes(header.ref, sealed.header.id)) throw new BorgError('bad-reply', `${where} answered another message`)
      if (header.kind === ERROR_KIND) {
        const error = Object.assign(remoteError(where, incoming), { remote: true })
        this.learnSkew(where, error)
        throw error
      }
      if (header.kind === ACK_KIND) {
        if (expectsReply) throw new BorgError('bad-reply', `${where} acknowledged a request without replying`)
        return undefined
      }
      if (!expectsReply) throw new BorgError('bad-reply', `${where} replied to a one-way message`)
      return { ...incoming, receivedAt }
    })
  }

  private async attempt(peer: Peer, message: Outgoing, options: SendOptions, deadline: number): Promise<Incoming | undefined> {
    const pin = await this.resolvePin(peer.endpoint, peer.id, deadline)
    const endpoint = parseEndpoint(peer.endpoint)
    const expectsReply = options.expectReply ?? false
    if (this.links && LinkPool.carries(message)) {
      const link = await this.links.linkTo(formatEndpoint(endpoint), pin, deadline)
      if (link) return link.exchange(message, expectsReply, deadline, options.onDispatch)
    }
    const { signer, clock, random } = this.options
    const to = message.to ?? { type: 'node' as const, id: Uint8Array.from(Buffer.from(pin.nodeId, 'hex')) }
    const sealed = seal(signer, { ...message, to }, { expectsReply, timestamp: clock.now(), random })
    return this.postEnvelope(`${originOf(endpoint)}${MESSAGE_PATH}`, sealed, deadline, `from ${peer.endpoint}`, options.onDispatch, async (response, receivedAt) => {
      const reply = await this.readResponse(peer.endpoint, pin, sealed.header.id, expectsReply, response)
      return reply && { ...reply, receivedAt }
    })
  }

  /**
   * POST one sealed envelope and hand the response (and when it arrived) to `read`, all within the
   * deadline: past it, the request is aborted and `timeout` names `what` ("from HOST:PORT").
   */
  private async postEnvelope<T>(
    url: string,
    sealed: Sealed,
    deadline: number,
    what: string,
    onDispatch: ((networkTime: number) => void) | undefined,
    read: (response: Dispatcher.ResponseData, receivedAt: number) => Promise<T>,
  ): Promise<T> {
    const { clock } = this.options
    const chunks = wireChunks(sealed)
    const remaining = Math.max(1, deadline - clock.monotonic())
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(new BorgError('timeout', `no answer ${what} within ${Math.round(remaining)} ms`)), remaining)
    try {
      onDispatch?.(clock.now())
      const response = await request(url, {
        method: 'POST',
        dispatcher: this.agent,
        headers: { 'content-type': ENVELOPE_CONTENT_TYPE, 'content-length': String(sealedLength(sealed)) },
        // A small message goes out as one buffer, written at once (a stream takes extra turns of the
        // event loop, which time exchanges would count as transit); a bulk body (or a parts body's
        // parts) as separate chunks, not copied.
        body: chunks.length === 1 ? toBuffer(chunks[0]!) : Readable.from(chunks.map(toBuffer), { objectMode: false }),
        signal: controller.signal,
        headersTimeout: remaining,
        bodyTimeout: remaining,
      })
      return await read(response, clock.now())
    } catch (error) {
      throw controller.signal.aborted && controller.signal.reason instanceof BorgError ? controller.signal.reason : error
    } finally {
      clearTimeout(timer)
    }
  }

  private async readResponse(
    endpoint: string,
    pin: Pin,
    requestId: Uint8Array,
    expectsReply: boolean,
    response: Dispatcher.ResponseData,
  ): Promise<Incoming | undefined> {
    const status = response.statusCode
    const declared = response.headers['content-length'] === undefined ? undefined : Number(response.headers['content-length'])
    if (status === 204) {
      await response.body.dump()
      if (expectsReply) throw new BorgError('bad-reply', `${endpoint} acknowledged a request without replying`)
      return undefined
    }
    let received: { header: EnvelopeHeader; incoming: Incoming }
    try {
      // A small reply is read whole (one turn, no async iterator); a bulk one as it streams in.
      received =
        declared !== undefined && declared <= SMALL_BODY_BYTES
          ? readEnvelopeBytes(new Uint8Array(await response.body.arrayBuffer()), this.options.verifier, { declaredLength: declared, asReply: true })
          : await readEnvelopeStream(response.body as AsyncIterable<Uint8Array>, this.options.verifier, { declaredLength: declared, asReply: true })
    } catch (error) {
      response.body.destroy()
      const why = error instanceof BorgError ? `${error.code}: ${error.message}` : String(error)
      throw new BorgError('bad-reply', `HTTP ${status} from ${endpoint} did not carry a valid borg reply (${why})`, { cause: error })
    }
    const { header, incoming } = received
    if (incoming.fromHex !== pin.nodeId) throw identityMismatch(endpoint, pin.nodeId, incoming.fromHex)
    if (header.ref && !equalBytes(header.ref, requestId)) {
      throw new BorgError('bad-reply', `${endpoint} replied to request ${bytesToHex(header.ref)} instead of ${bytesToHex(requestId)}`)
    }
    if (header.kind === ERROR_KIND) {
      const error = remoteError(endpoint, incoming)
      this.learnSkew(endpoint, error)
      throw error
    }
    if (!header.ref) throw new BorgError('bad-reply', `${endpoint} sent a reply that names no request`)
    if (!expectsReply) throw new BorgError('bad-reply', `${endpoint} replied to a one-way message`)
    return incoming
  }
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

async function readBody(body: Dispatcher.ResponseData['body'], limit: number): Promise<Uint8Array> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) {
      body.destroy()
      throw new BorgError('too-large', `reply exceeds ${limit} bytes`)
    }
    chunks.push(chunk)
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)
}

/** A relay's refusal that says nothing reached the node: the next relay may do better. */
type RelayMiss = BorgError & { relayMiss?: true }

const NETWORK_CODES: Record<string, [ErrorCode, string]> = {
  ECONNREFUSED: ['unavailable', 'connection refused'],
  ECONNRESET: ['unavailable', 'connection reset'],
  EPIPE: ['unavailable', 'connection closed'],
  EHOSTUNREACH: ['unavailable', 'host unreachable'],
  ENETUNREACH: ['unavailable', 'network unreachable'],
  ENOTFOUND: ['unavailable', 'host not found'],
  EAI_AGAIN: ['unavailable', 'name lookup failed'],
  UND_ERR_SOCKET: ['unavailable', 'connection lost'],
  UND_ERR_CLOSED: ['unavailable', 'connection closed'],
  UND_ERR_CONNECT_TIMEOUT: ['timeout', 'connect timed out'],
  UND_ERR_HEADERS_TIMEOUT: ['timeout', 'no answer in time'],
  UND_ERR_BODY_TIMEOUT: ['timeout', 'answer stalled'],
  UND_ERR_ABORTED: ['timeout', 'aborted'],
}

/** Map whatever the network threw to a BorgError with a clear message. */
export function toBorgError(error: unknown, endpoint: string): BorgError {
  if (error instanceof BorgError) return error
  if (error instanceof TlsPinError) {
    return new BorgError('tls-pin', `refusing ${endpoint}: ${error.message} (possible man-in-the-middle)`, {
      details: { endpoint, presented: error.presented, pinned: error.expected },
    })
  }
  const cause = (error as { cause?: unknown }).cause
  if (cause instanceof TlsPinError || cause instanceof BorgError) return toBorgError(cause, endpoint)
  const code = String((error as { code?: unknown }).code ?? '')
  const known = NETWORK_CODES[code]
  if (known) return new BorgError(known[0], `${endpoint}: ${known[1]}`, { cause: error })
  if (/SSL|TLS|EPROTO|CERT/i.test(code) || /SSL|TLS/.test((error as Error).message ?? '')) {
    return new BorgError('unavailable', `${endpoint}: TLS handshake failed (${(error as Error).message})`, { cause: error })
  }
  if ((error as Error).name === 'AbortError') return new BorgError('timeout', `${endpoint}: request timed out`, { cause: error })
  return new BorgError('unavailable', `${endpoint}: ${(error as Error).message ?? String(error)}`, { cause: error })
}

/** A refusal of a message's timestamp (the sender's clock is off the receiver's network time). */
function isClockRefusal(error: unknown): boolean {
  return error instanceof BorgError && (error.code === 'expired' || error.code === 'from-future')
}
