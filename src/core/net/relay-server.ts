/**
 * The relaying end (docs/protocol.md §4.6, docs/networking.md "Relays"). A node
 * nobody can dial opens a tunnel here (`GET /borg/v1/relay`, `Upgrade:
 * borg-relay/1`) and reserves a slot with a signed `relay.reserve`; this node
 * answers with a signed `relay.reservation` naming both and the limits. Others
 * then POST that node's envelopes to `/borg/v1/relay/<its node id>`: each is
 * written down the tunnel unchanged, and the node's answer (signed by it, for
 * the sender) comes back up the tunnel and goes out as the POST's response.
 *
 * The relay reads only what routing needs (the header: kind, sender, target,
 * id, lengths) and checks the sender's signature over it, so nobody relays
 * anonymous bytes on a node's budget; it cannot alter a message (the node checks
 * the signature and body hash) nor forge an answer (the sender checks that the
 * node signed it). Budgets per reservation: bytes per second (shaped, refused
 * `busy` when the wait would be long), bytes per day (refused), message size,
 * queued bytes and messages in flight; and reservations per relay.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { BorgError } from '../errors.js'
import { bytesToHex, concatBytes, equalBytes, utf8 } from '../bytes.js'
import type { Logger } from '../log.js'
import type { Clock, Timer } from '../wire/clock.js'
import { BodyType, type Outgoing } from '../wire/message.js'
import type { Random } from '../wire/random.js'
import { parseHeader, type EnvelopeHeader } from '../envelope/codec.js'
import { readEnvelopeBytes } from '../envelope/reader.js'
import { seal, sealedLength, verifyHeaderSignature, type EnvelopeSigner } from '../envelope/seal.js'
import { EnvelopeSplitter } from '../envelope/splitter.js'
import type { EnvelopeVerifier } from '../envelope/verifier.js'
import { formatEndpoint, observedPeer } from './endpoint.js'
import { ENVELOPE_CONTENT_TYPE, RELAY_PROTOCOL, RELAY_RESERVATION_KIND, RELAY_RESERVE_KIND, errorMessage, httpStatusFor, wireChunks } from './http-mapping.js'

export interface RelayLimits {
  /** Reservations this relay holds at once. */
  maxReservations: number
  /** A reservation lapses this long after its last renewal (the tunnel renews it every RELAY_RENEW_MS). */
  reservationTtlMs: number
  /** Sustained rate per reservation, both directions together. */
  bytesPerSecond: number
  /** Burst above the rate. */
  burstBytes: number
  /** Bytes per reservation per day (UTC), both directions. */
  bytesPerDay: number
  /** Largest envelope relayed either way (header included). */
  maxMessageBytes: number
  /** Bytes written down one tunnel and not yet taken by its node. */
  maxQueuedBytes: number
  /** Messages relayed to one node and not yet answered. */
  maxInFlight: number
  /** A message that would wait longer than this for its reservation's rate is refused `busy`. */
  maxShapingWaitMs: number
  /** Longest a relayed request waits for the node's answer. */
  answerTimeoutMs: number
}

export const DEFAULT_RELAY_LIMITS: RelayLimits = {
  maxReservations: 64,
  reservationTtlMs: 2 * 60 * 60_000,
  bytesPerSecond: 4 * 1024 * 1024,
  burstBytes: 8 * 1024 * 1024,
  bytesPerDay: 4 * 1024 * 1024 * 1024,
  maxMessageBytes: 16 * 1024 * 1024,
  maxQueuedBytes: 32 * 1024 * 1024,
  maxInFlight: 256,
  maxShapingWaitMs: 5_000,
  answerTimeoutMs: 60_000,
}

/** A tunnel whose node has not renewed for this long is closed (renewals come every RELAY_RENEW_MS). */
export const RELAY_TUNNEL_IDLE_MS = 120_000
/** The reservation request must arrive this soon after the upgrade. */
const RESERVE_WAIT_MS = 10_000

export interface RelayServiceOptions {
  signer: EnvelopeSigner
  clock: Clock
  random: Random
  /** This node's verifier (the reservation request is checked like any message to it). */
  verifier: EnvelopeVerifier
  log: Logger
  limits?: Partial<RelayLimits>
  /** Why this node relays for nobody right now (e.g. it is not reachable itself), or undefined: it does. */
  declines?: () => string | undefined
}

/** What a reservation grants, as its `relay.reservation` body says (JSON). */
export interface ReservationGrant {
  relay: string
  node: string
  expiresAt: number
  limits: Pick<RelayLimits, 'bytesPerSecond' | 'burstBytes' | 'bytesPerDay' | 'maxMessageBytes' | 'maxInFlight'>
}

export interface RelayStats {
  /** Reservations granted (renewals not counted). */
  granted: number
  relayed: number
  relayedBytes: number
  refused: Record<string, number>
}

export class RelayService {
  readonly limits: RelayLimits
  private readonly tunnels = new Map<string, ServerTunnel>()
  /** Tunnels upgraded whose reservation is not settled yet (bounded like the reservations). */
  private pendingTunnels = 0
  readonly stats: RelayStats = { granted: 0, relayed: 0, relayedBytes: 0, refused: {} }

  constructor(readonly options: RelayServiceOptions) {
    this.limits = { ...DEFAULT_RELAY_LIMITS, ...options.limits }
  }

  get reservations(): number {
    return this.tunnels.size
  }

  /** Node ids holding a reservation here. */
  nodes(): string[] {
    return [...this.tunnels.keys()]
  }

  /** The HTTP server's 'upgrade' event for RELAY_PATH. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if ((req.headers.upgrade ?? '').toLowerCase() !== RELAY_PROTOCOL) {
      return void socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
    }
    if (this.pendingTunnels >= this.limits.maxReservations) {
      return void socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${RELAY_PROTOCOL}\r\n\r\n`)
    this.pendingTunnels++
    const tunnel = new ServerTunnel(this, socket, observedPeer(req.socket))
    if (head.length > 0) tunnel.receive(head)
  }

  /** A tunnel's first envelope was a valid reservation request: take it, or say why not. */
  admit(tunnel: ServerTunnel, nodeId: string): void {
    const why = this.options.declines?.()
    if (why) throw new BorgError('refused', `this node relays for nobody now: ${why}`)
    const previous = this.tunnels.get(nodeId)
    if (!previous && this.tunnels.size >= this.limits.maxReservations) {
      throw new BorgError('busy', `this relay holds ${this.tunnels.size} reservations, its limit: reserve elsewhere`)
    }
    // A node reconnecting (its old tunnel died on its side) replaces its reservation, budget and all.
    if (previous) {
      tunnel.inherit(previous)
      previous.destroy(new BorgError('unavailable', 'reservation moved to a new tunnel'))
    }
    this.tunnels.set(nodeId, tunnel)
    this.stats.granted++
  }

  settled(): void {
    this.pendingTunnels--
  }

  removed(tunnel: ServerTunnel, nodeId: string | undefined): void {
    if (nodeId && this.tunnels.get(nodeId) === tunnel) this.tunnels.delete(nodeId)
  }

  refusedOne(code: string): void {
    this.stats.refused[code] = (this.stats.refused[code] ?? 0) + 1
  }

  /** POST /borg/v1/relay/<node id>: one envelope for that node. */
  async forward(req: IncomingMessage, res: ServerResponse, nodeIdHex: string): Promise<void> {
    let header: EnvelopeHeader | undefined
    try {
      const tunnel = /^[0-9a-f]{66,68}$/.test(nodeIdHex) ? this.tunnels.get(nodeIdHex) : undefined
      if (!tunnel) throw new BorgError('not-found', `no reservation here for node ${nodeIdHex.slice(0, 16)}…: it may have moved to another relay`)
      const declared = Number(req.headers['content-length'])
      if (!Number.isSafeInteger(declared) || declared <= 0) throw new BorgError('invalid-input', 'a relayed envelope needs its Content-Length')
      if (declared > this.limits.maxMessageBytes) {
        throw new BorgError('too-large', `a relayed envelope may have ${this.limits.maxMessageBytes} bytes; this one has ${declared}`)
      }
      tunnel.checkRoom(declared)
      const bytes = await readWhole(req, declared)
      const parsed = parseHeader(bytes)
      if (parsed.status !== 'ok' || parsed.headerLength + parsed.header.bodyLength !== bytes.length) {
        throw new BorgError('malformed', 'the relayed body is not exactly one envelope')
      }
      header = parsed.header
      if (header.to.type !== 'node' || bytesToHex(header.to.id) !== nodeIdHex) throw new BorgError('wrong-recipient', `this envelope is not addressed to node ${nodeIdHex.slice(0, 16)}…`)
      if (header.ref) throw new BorgError('invalid-input', 'a relay carries requests and one-way messages to a node, not replies')
      verifyHeaderSignature(header, parsed.signedPart)
      await tunnel.deliver(bytes, header, res)
    } catch (error) {
      const refusal = error instanceof BorgError ? error : new BorgError('internal', `relaying failed: ${(error as Error).message}`)
      if (!(error instanceof BorgError)) this.options.log.error(`relaying failed: ${(error as Error).stack ?? error}`)
      this.refusedOne(refusal.code)
      this.respondError(res, refusal, header)
      if (!req.complete) req.socket?.destroy()
    }
  }

  /** A `wire.error` signed by this relay (not by the node it relays for). */
  respondError(res: ServerResponse, error: BorgError, request: EnvelopeHeader | undefined): void {
    if (res.headersSent || res.destroyed) return void res.destroy()
    const { signer, clock, random } = this.options
    const message = errorMessage(error.code, error.message, clock.now())
    const sealed = seal(signer, { ...message, to: request ? { type: 'node', id: request.sender } : undefined }, { timestamp: clock.now(), random, ref: request?.id })
    res.writeHead(httpStatusFor(error.code), { 'content-type': ENVELOPE_CONTENT_TYPE, 'content-length': sealedLength(sealed) })
    res.end(Buffer.concat(wireChunks(sealed)))
  }

  close(): void {
    for (const tunnel of this.tunnels.values()) tunnel.destroy(new BorgError('unavailable', 'the relay is shutting down'))
    this.tunnels.clear()
  }
}

interface Waiting {
  res: ServerResponse
  timer: Timer
  header: EnvelopeHeader
}

/** Bytes used by one reservation: a token bucket for the rate and a counter per UTC day. */
class Allowance {
  tokens: number
  refilledAt: number
  day = -1
  usedToday = 0

  constructor(
    private readonly limits: RelayLimits,
    now: number,
  ) {
    this.tokens = limits.burstBytes
    this.refilledAt = now
  }

  /** Charge `bytes`; returns how long to hold them back (ms) to keep the rate, or throws past a limit. */
  charge(bytes: number, now: number, nodeId: string): number {
    const day = Math.floor(now / 86_400_000)
    if (day !== this.day) {
      this.day = day
      this.usedToday = 0
    }
    if (this.usedToday + bytes > this.limits.bytesPerDay) {
      throw new BorgError('refused', `relay budget of node ${nodeId.slice(0, 16)}… spent: ${this.usedToday} of ${this.limits.bytesPerDay} bytes today (UTC)`)
    }
    this.tokens = Math.min(this.limits.burstBytes, this.tokens + ((now - this.refilledAt) * this.limits.bytesPerSecond) / 1000)
    this.refilledAt = now
    const waitMs = this.tokens >= bytes ? 0 : ((bytes - this.tokens) * 1000) / this.limits.bytesPerSecond
    if (waitMs > this.limits.maxShapingWaitMs) {
      throw new BorgError('busy', `relay rate of node ${nodeId.slice(0, 16)}… is ${this.limits.bytesPerSecond} bytes/s: try again in ${Math.ceil(waitMs / 1000)} s`)
    }
    this.tokens -= bytes
    this.usedToday += bytes
    return waitMs
  }

  /** Answers are not held back (their request already waited), but they count (a debt of at most one burst). */
  record(bytes: number, now: number): void {
    this.tokens = Math.max(-this.limits.burstBytes, Math.min(this.limits.burstBytes, this.tokens + ((now - this.refilledAt) * this.limits.bytesPerSecond) / 1000) - bytes)
    this.refilledAt = now
    this.usedToday += bytes
  }
}

class ServerTunnel {
  private readonly splitter: EnvelopeSplitter
  private pieces: Uint8Array[] = []
  private nodeId?: string
  private nodeKey?: Uint8Array
  private allowance?: Allowance
  private expiresAt = 0
  private readonly waiting = new Map<string, Waiting>()
  private closed = false
  private settledOnce = false
  private readonly reserveTimer: Timer
  private readonly remote: string

  constructor(
    private readonly service: RelayService,
    private readonly socket: Duplex,
    peer: { address: string; port: number } | undefined,
  ) {
    const { clock } = service.options
    this.remote = peer ? formatEndpoint({ host: peer.address, port: peer.port }) : 'unknown address'
    this.splitter = new EnvelopeSplitter({
      start: (_bodyLength, total) => {
        if (total > service.limits.maxMessageBytes) throw new BorgError('too-large', `a tunnel carries envelopes up to ${service.limits.maxMessageBytes} bytes; this one has ${total}`)
      },
      data: (bytes) => this.pieces.push(bytes),
      end: () => {
        const bytes = this.pieces.length === 1 ? this.pieces[0]! : concatBytes(...this.pieces)
        this.pieces = []
        this.frame(bytes)
      },
    })
    const tcp = socket as Duplex & Partial<Pick<Socket, 'setNoDelay' | 'setTimeout'>>
    tcp.setNoDelay?.(true)
    tcp.setTimeout?.(RELAY_TUNNEL_IDLE_MS, () => this.destroy(new BorgError('unavailable', 'the relayed node stopped renewing its reservation')))
    this.reserveTimer = clock.after(RESERVE_WAIT_MS, () => {
      if (!this.nodeId) this.destroy(new BorgError('timeout', 'no reservation request'))
    })
    socket.on('data', (chunk: Buffer) => this.receive(chunk))
    socket.on('error', () => this.destroy(new BorgError('unavailable', `tunnel of node ${this.nodeId?.slice(0, 16) ?? '?'}… lost`)))
    socket.on('close', () => this.destroy(new BorgError('unavailable', `tunnel of node ${this.nodeId?.slice(0, 16) ?? '?'}… closed`)))
  }

  receive(chunk: Uint8Array): void {
    if (this.closed) return
    try {
      this.splitter.push(chunk)
    } catch (error) {
      const why = error instanceof BorgError ? error : new BorgError('malformed', String(error))
      if (!(error instanceof BorgError)) this.service.options.log.error(`unexpected error on the relay tunnel from ${this.remote}: ${(error as Error).stack ?? error}`)
      this.destroy(why)
    }
  }

  /** A reconnecting node keeps what it spent today. */
  inherit(previous: ServerTunnel): void {
    if (previous.allowance) this.allowance = previous.allowance
  }

  /** Refuse up front what would not fit (before reading the body). */
  checkRoom(bytes: number): void {
    const { limits } = this.service
    if (this.waiting.size >= limits.maxInFlight) throw new BorgError('busy', `${limits.maxInFlight} messages to this node are already waiting for its answers`)
    const queued = (this.socket as Duplex & { writableLength: number }).writableLength
    if (queued + bytes > limits.maxQueuedBytes) throw new BorgError('busy', `${queued} bytes for this node are still queued at its relay (limit ${limits.maxQueuedBytes})`)
  }

  /** Write one envelope down the tunnel (after its rate allows) and wait for the node's answer. */
  async deliver(bytes: Uint8Array, header: EnvelopeHeader, res: ServerResponse): Promise<void> {
    const { clock } = this.service.options
    const wait = this.allowance!.charge(bytes.length, clock.now(), this.nodeId!)
    if (wait > 0) await new Promise<void>((resolve) => clock.after(wait, resolve))
    if (this.closed) throw new BorgError('unavailable', `node ${this.nodeId!.slice(0, 16)}… left this relay`)
    const key = bytesToHex(header.id)
    if (this.waiting.has(key)) throw new BorgError('replay', 'this message is already on its way through this relay')
    const timer = clock.after(this.service.limits.answerTimeoutMs, () => {
      if (this.waiting.delete(key)) this.service.respondError(res, new BorgError('timeout', `node ${this.nodeId!.slice(0, 16)}… did not answer through its relay in time`), header)
    })
    this.waiting.set(key, { res, timer, header })
    res.once('close', () => {
      const waiting = this.waiting.get(key)
      if (waiting?.res === res) {
        waiting.timer.cancel()
        this.waiting.delete(key)
      }
    })
    this.service.stats.relayed++
    this.service.stats.relayedBytes += bytes.length
    this.socket.write(bytes)
  }

  destroy(reason: BorgError): void {
    if (this.closed) return
    this.closed = true
    this.reserveTimer.cancel()
    if (!this.settledOnce) {
      this.settledOnce = true
      this.service.settled()
    }
    this.service.removed(this, this.nodeId)
    for (const waiting of this.waiting.values()) {
      waiting.timer.cancel()
      this.service.respondError(waiting.res, new BorgError('unavailable', `${reason.message} before it answered`), waiting.header)
    }
    this.waiting.clear()
    this.socket.destroy()
  }

  /** One whole envelope from the node: its reservation request (first, and each renewal) or an answer. */
  private frame(bytes: Uint8Array): void {
    if (!this.nodeId) return this.reserve(bytes)
    const parsed = parseHeader(bytes)
    if (parsed.status !== 'ok') throw new BorgError('malformed', 'incomplete envelope')
    const header = parsed.header
    if (!equalBytes(header.sender, this.nodeKey!)) throw new BorgError('refused', 'a tunnel carries only its own node’s envelopes')
    if (header.kind === RELAY_RESERVE_KIND && !header.ref) return this.reserve(bytes)
    const key = header.ref ? bytesToHex(header.ref) : ''
    const waiting = this.waiting.get(key)
    this.allowance!.record(bytes.length, this.service.options.clock.now())
    if (!waiting) return // answered too late: the sender was told `timeout`
    this.waiting.delete(key)
    waiting.timer.cancel()
    // The answer is the node's, signed for the sender: passed on as it came.
    if (waiting.res.destroyed) return
    waiting.res.writeHead(200, { 'content-type': ENVELOPE_CONTENT_TYPE, 'content-length': bytes.length })
    waiting.res.end(bytes)
  }

  /** `relay.reserve`, verified as a message to this node; answered with the signed grant or an error. */
  private reserve(bytes: Uint8Array): void {
    const { verifier, clock, signer } = this.service.options
    let header: EnvelopeHeader | undefined
    try {
      const read = readEnvelopeBytes(bytes, verifier, { how: { transportKind: true } })
      header = read.header
      if (header.kind !== RELAY_RESERVE_KIND) throw new BorgError('invalid-input', `a tunnel opens with ${RELAY_RESERVE_KIND}, not ${header.kind}`)
      if (!header.expectsReply) throw new BorgError('invalid-input', `${RELAY_RESERVE_KIND} is a request`)
      if (this.nodeId && read.incoming.fromHex !== this.nodeId) throw new BorgError('refused', 'a tunnel carries only its own node’s envelopes')
      if (!this.nodeId) {
        this.service.admit(this, read.incoming.fromHex)
        this.nodeId = read.incoming.fromHex
        this.nodeKey = header.sender
        this.allowance ??= new Allowance(this.service.limits, clock.now())
        this.reserveTimer.cancel()
        this.settledOnce = true
        this.service.settled()
        this.service.options.log.info(`relaying for node ${this.nodeId.slice(0, 16)}… from ${this.remote}`)
      }
      this.expiresAt = clock.now() + this.service.limits.reservationTtlMs
      const { limits } = this.service
      const grant: ReservationGrant = {
        relay: bytesToHex(signer.keyId),
        node: this.nodeId,
        expiresAt: this.expiresAt,
        limits: { bytesPerSecond: limits.bytesPerSecond, burstBytes: limits.burstBytes, bytesPerDay: limits.bytesPerDay, maxMessageBytes: limits.maxMessageBytes, maxInFlight: limits.maxInFlight },
      }
      this.send({ kind: RELAY_RESERVATION_KIND, body: utf8.encode(JSON.stringify(grant)), bodyType: BodyType.json }, header)
    } catch (error) {
      const refusal = error instanceof BorgError ? error : new BorgError('internal', String(error))
      this.service.refusedOne(refusal.code)
      if (header) this.send(errorMessage(refusal.code, refusal.message, clock.now()), header)
      if (!this.nodeId) {
        // Let the refusal leave before the connection goes.
        ;(this.socket as Duplex).end()
        clock.after(1_000, () => this.destroy(refusal))
      }
    }
  }

  private send(message: Outgoing, request: EnvelopeHeader): void {
    const { signer, clock, random } = this.service.options
    const sealed = seal(signer, { ...message, to: { type: 'node', id: request.sender } }, { timestamp: clock.now(), random, ref: request.id })
    this.socket.write(Buffer.concat(wireChunks(sealed)))
  }
}

/** The request body, exactly `length` bytes. */
function readWhole(req: IncomingMessage, length: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const buffer = Buffer.allocUnsafe(length)
    let at = 0
    req.on('data', (chunk: Buffer) => {
      if (at + chunk.length > length) {
        req.destroy()
        return reject(new BorgError('too-large', 'body longer than its Content-Length'))
      }
      chunk.copy(buffer, at)
      at += chunk.length
    })
    req.once('end', () => (at === length ? resolve(buffer) : reject(new BorgError('malformed', 'body shorter than its Content-Length'))))
    req.once('error', (error) => reject(new BorgError('unavailable', `connection lost while receiving: ${error.message}`)))
  })
}

/**
 * Relay limits from BORG_RELAY_LIMITS, a JSON object of RelayLimits fields (e.g.
 * `{"bytesPerDay":1000000}`); unknown fields and non-positive numbers are an error.
 */
export function relayLimitsFromEnv(env: Record<string, string | undefined> = process.env): Partial<RelayLimits> {
  const text = env.BORG_RELAY_LIMITS
  if (!text) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new BorgError('usage', 'BORG_RELAY_LIMITS must be a JSON object, e.g. {"bytesPerDay":1000000}')
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new BorgError('usage', 'BORG_RELAY_LIMITS must be a JSON object')
  const limits: Partial<RelayLimits> = {}
  for (const [key, value] of Object.entries(parsed)) {
    if (!(key in DEFAULT_RELAY_LIMITS)) throw new BorgError('usage', `BORG_RELAY_LIMITS: unknown limit ${key} (known: ${Object.keys(DEFAULT_RELAY_LIMITS).join(', ')})`)
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) throw new BorgError('usage', `BORG_RELAY_LIMITS: ${key} must be a positive integer`)
    limits[key as keyof RelayLimits] = value
  }
  return limits
}
