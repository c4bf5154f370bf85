/**
 * The relayed node's end of a relay tunnel (docs/protocol.md §4.6). It opens a
 * pinned TLS connection to a public node, upgrades it to `borg-relay/1` and
 * reserves a slot with a signed `relay.reserve`; the relay's signed
 * `relay.reservation` names both and the limits. From then on the relay
 * writes down the tunnel the envelopes others sent to this node, unchanged;
 * each passes this node's own verifier (window, replay, recipient, kind,
 * signature) before its handler sees it, exactly like a message that came
 * over HTTPS, and its answer (the reply, `wire.ack` or `wire.error`) is signed
 * by this node for the sender and written back up. Every RELAY_RENEW_MS the
 * tunnel renews its reservation, which doubles as the relay's heartbeat: no
 * answer within RELAY_ANSWER_MS and the tunnel is given up.
 */
import type { TLSSocket } from 'node:tls'
import { BorgError, type ErrorCode } from '../errors.js'
import { bytesToHex, concatBytes, equalBytes, parseHex, utf8 } from '../bytes.js'
import type { Logger } from '../log.js'
import type { Clock, Timer } from '../wire/clock.js'
import type { Incoming, Outgoing } from '../wire/message.js'
import type { Random } from '../wire/random.js'
import type { Responder } from '../wire/transport.js'
import { parseHeader, type EnvelopeHeader } from '../envelope/codec.js'
import { readEnvelopeBytes, type ReadError } from '../envelope/reader.js'
import { seal, sealedLength, type EnvelopeSigner } from '../envelope/seal.js'
import { EnvelopeSplitter } from '../envelope/splitter.js'
import type { EnvelopeVerifier } from '../envelope/verifier.js'
import { ACK_KIND, ERROR_KIND, RELAY_PATH, RELAY_PROTOCOL, RELAY_RESERVATION_KIND, RELAY_RESERVE_KIND, SMALL_BODY_BYTES, errorMessage, wireChunks } from './http-mapping.js'
import type { Pin } from './pins.js'
import type { ReservationGrant } from './relay-server.js'
import { remoteError } from './remote-error.js'
import { connectPinned, readHandshake } from './upgrade.js'

/** How often the tunnel renews its reservation (and so learns that the relay still answers). */
export const RELAY_RENEW_MS = 20_000
/** A renewal not answered this soon: the relay is gone. */
export const RELAY_ANSWER_MS = 10_000
/** Relayed messages in progress here (received, not yet answered) before the tunnel stops reading. */
const MAX_IN_PROGRESS = 256
/** Longest a handler may take to answer a relayed request. */
const MAX_HOLD_MS = 60_000

export interface RelayTunnelOptions {
  signer: EnvelopeSigner
  clock: Clock
  random: Random
  /** This node's inbound verifier: relayed messages are checked as if they came over HTTPS. */
  verifier: EnvelopeVerifier
  log: Logger
  /** Runs this node's handler; returns the refusal it threw, if any (WireServer.invoke). */
  invoke(incoming: Incoming, responder: Responder | undefined): BorgError | undefined
  /** The tunnel is gone (the relay closed it, died, or stopped answering). */
  onClose?(tunnel: RelayTunnel, reason: BorgError): void
}

/** Open a tunnel to the relay at `endpoint` (its pin already resolved) and reserve a slot there. */
export async function openRelayTunnel(endpoint: string, pin: Pin, options: RelayTunnelOptions, timeoutMs: number): Promise<RelayTunnel> {
  const { signer, clock, random, verifier } = options
  const socket = await connectPinned(endpoint, pin, timeoutMs)
  let handedOver = false
  try {
    const relayKey = parseHex(pin.nodeId)
    const reserve = reserveMessage(signer, relayKey, clock, random)
    const upgrade = `GET ${RELAY_PATH} HTTP/1.1\r\nHost: ${endpoint}\r\nConnection: Upgrade\r\nUpgrade: ${RELAY_PROTOCOL}\r\n\r\n`
    socket.write(Buffer.concat([Buffer.from(upgrade, 'latin1'), ...reserve.bytes]))
    const answer = await readHandshake(socket, timeoutMs, SMALL_BODY_BYTES, 'relay')
    if (answer.status !== 101) {
      throw new BorgError(answer.status === 503 ? 'busy' : 'unavailable', `${endpoint} answered the relay upgrade with HTTP ${answer.status}${answer.status === 404 || answer.status === 400 ? ': it does not relay' : ''}`)
    }
    const grant = readGrant(endpoint, pin, answer.envelope, reserve.header, bytesToHex(signer.keyId), verifier, clock)
    const tunnel = new RelayTunnel(socket, endpoint, pin, relayKey, grant, options)
    handedOver = true
    if (answer.rest.length > 0) tunnel.receive(answer.rest)
    return tunnel
  } finally {
    if (!handedOver) socket.destroy()
  }
}

function reserveMessage(signer: EnvelopeSigner, relayKey: Uint8Array, clock: Clock, random: Random): { header: EnvelopeHeader; bytes: Uint8Array[] } {
  const sealed = seal(signer, { kind: RELAY_RESERVE_KIND, body: utf8.encode('{}'), to: { type: 'node', id: relayKey } }, { expectsReply: true, timestamp: clock.now(), random })
  return { header: sealed.header, bytes: wireChunks(sealed) }
}

/** The relay's answer to a `relay.reserve`: its signed grant for this node, or the error it sent. */
function readGrant(endpoint: string, pin: Pin, bytes: Uint8Array, request: EnvelopeHeader, selfId: string, verifier: EnvelopeVerifier, clock: Clock): ReservationGrant {
  let read: { header: EnvelopeHeader; incoming: Incoming }
  try {
    read = readEnvelopeBytes(bytes, verifier, { asReply: true })
  } catch (error) {
    throw new BorgError('bad-reply', `${endpoint} answered the reservation with an invalid envelope: ${(error as Error).message}`, { cause: error })
  }
  const { header, incoming } = read
  if (incoming.fromHex !== pin.nodeId) throw new BorgError('bad-reply', `${endpoint} answered the reservation with an envelope signed by another node`)
  if (!header.ref || !equalBytes(header.ref, request.id)) throw new BorgError('bad-reply', `${endpoint} answered the reservation with a reply to another message`)
  if (header.kind === ERROR_KIND) throw remoteError(endpoint, incoming)
  if (header.kind !== RELAY_RESERVATION_KIND) throw new BorgError('bad-reply', `${endpoint} answered the reservation with ${header.kind}`)
  let grant: ReservationGrant
  try {
    grant = JSON.parse(utf8.decode(incoming.body)) as ReservationGrant
  } catch {
    throw new BorgError('bad-reply', `${endpoint} sent a reservation that is not JSON`)
  }
  if (grant.relay !== pin.nodeId || grant.node !== selfId || typeof grant.expiresAt !== 'number' || grant.expiresAt <= clock.now()) {
    throw new BorgError('bad-reply', `${endpoint} sent a reservation for another relay, another node, or already expired`)
  }
  if (!grant.limits || !Number.isSafeInteger(grant.limits.maxMessageBytes) || grant.limits.maxMessageBytes <= 0) {
    throw new BorgError('bad-reply', `${endpoint} sent a reservation without its limits`)
  }
  return grant
}

export class RelayTunnel {
  closed = false
  readonly stats = { relayed: 0, bytes: 0, refused: 0 }
  private readonly splitter: EnvelopeSplitter
  private pieces: Uint8Array[] = []
  private inProgress = 0
  private renewTimer?: Timer
  private renewal?: { id: Uint8Array; timer: Timer }
  private readonly selfId: string

  constructor(
    private readonly socket: TLSSocket,
    readonly endpoint: string,
    readonly pin: Pin,
    private readonly relayKey: Uint8Array,
    public grant: ReservationGrant,
    private readonly options: RelayTunnelOptions,
  ) {
    this.selfId = bytesToHex(options.signer.keyId)
    this.splitter = new EnvelopeSplitter({
      start: (_bodyLength, total) => {
        if (total > this.grant.limits.maxMessageBytes) throw new BorgError('too-large', `the relay sent an envelope of ${total} bytes, over its own limit`)
      },
      data: (bytes) => this.pieces.push(bytes),
      end: () => {
        const bytes = this.pieces.length === 1 ? this.pieces[0]! : concatBytes(...this.pieces)
        this.pieces = []
        this.frame(bytes)
      },
    })
    socket.on('data', (chunk: Buffer) => this.receive(chunk))
    socket.on('error', (error) => this.close(new BorgError('unavailable', `relay ${endpoint}: tunnel lost (${error.message})`)))
    socket.on('close', () => this.close(new BorgError('unavailable', `relay ${endpoint}: tunnel closed`)))
    this.scheduleRenewal()
  }

  /** The relay's node id. */
  get relayId(): string {
    return this.pin.nodeId
  }

  receive(chunk: Uint8Array): void {
    if (this.closed) return
    try {
      this.splitter.push(chunk)
    } catch (error) {
      const why = error instanceof BorgError ? `${error.code}: ${error.message}` : String(error)
      if (!(error instanceof BorgError)) this.options.log.error(`unexpected error on the tunnel to ${this.endpoint}: ${(error as Error).stack ?? error}`)
      this.close(new BorgError('bad-reply', `relay ${this.endpoint} broke the tunnel's framing (${why})`))
    }
  }

  close(reason: BorgError = new BorgError('unavailable', 'tunnel closed')): void {
    if (this.closed) return
    this.closed = true
    this.renewTimer?.cancel()
    this.renewal?.timer.cancel()
    this.socket.destroy()
    this.options.onClose?.(this, reason)
  }

  private scheduleRenewal(): void {
    this.renewTimer = this.options.clock.after(RELAY_RENEW_MS, () => this.renew())
  }

  private renew(): void {
    if (this.closed) return
    const { signer, clock, random } = this.options
    const reserve = reserveMessage(signer, this.relayKey, clock, random)
    this.renewal = {
      id: reserve.header.id,
      timer: clock.after(RELAY_ANSWER_MS, () => this.close(new BorgError('timeout', `relay ${this.endpoint} did not renew the reservation within ${RELAY_ANSWER_MS} ms`))),
    }
    this.socket.write(Buffer.concat(reserve.bytes))
  }

  /** One whole envelope from the relay: the answer to a renewal, or a message relayed to this node. */
  private frame(bytes: Uint8Array): void {
    const parsed = parseHeader(bytes)
    if (parsed.status !== 'ok') throw new BorgError('malformed', 'incomplete envelope')
    const { header } = parsed
    if (header.ref && equalBytes(header.sender, this.relayKey)) return this.renewed(bytes, header)
    this.relayed(bytes)
  }

  private renewed(bytes: Uint8Array, header: EnvelopeHeader): void {
    const renewal = this.renewal
    if (!renewal || !equalBytes(header.ref!, renewal.id)) return // a stale answer
    this.renewal = undefined
    renewal.timer.cancel()
    try {
      this.grant = readGrant(this.endpoint, this.pin, bytes, { ...header, id: renewal.id } as EnvelopeHeader, this.selfId, this.options.verifier, this.options.clock)
    } catch (error) {
      return this.close(error instanceof BorgError ? error : new BorgError('bad-reply', String(error)))
    }
    this.scheduleRenewal()
  }

  /** A message for this node: checked like any inbound message, handled, answered up the tunnel. */
  private relayed(bytes: Uint8Array): void {
    const { verifier, clock, invoke } = this.options
    const receivedAt = clock.now()
    this.stats.bytes += bytes.length
    let read: { header: EnvelopeHeader; incoming: Incoming }
    try {
      read = readEnvelopeBytes(bytes, verifier, { declaredLength: bytes.length })
    } catch (error) {
      this.stats.refused++
      const header = (error as ReadError).header
      const refusal = error instanceof BorgError ? error : new BorgError('malformed', String(error))
      this.options.log.warn(`refused a relayed message via ${this.endpoint}: ${refusal.code}: ${refusal.message}`, `relay-reject:${refusal.code}`)
      if (header) this.answer(errorMessage(refusal.code, refusal.message, clock.now()), header)
      return
    }
    this.stats.relayed++
    const { header } = read
    const incoming = { ...read.incoming, receivedAt }
    if (!header.expectsReply) {
      const refusal = invoke(incoming, undefined)
      this.answer(refusal ? errorMessage(refusal.code, refusal.message, clock.now()) : { kind: ACK_KIND, body: new Uint8Array(0) }, header)
      return
    }
    this.started()
    let done = false
    const hold = clock.after(MAX_HOLD_MS, () => responder.fail('timeout', `no reply to ${header.kind} within the node's limit`))
    const finish = (message: Outgoing) => {
      if (done) return
      done = true
      hold.cancel()
      this.finished()
      this.answer(message, header)
    }
    const responder: Responder = {
      reply: (message) => finish(message),
      fail: (code: ErrorCode, text: string) => finish(errorMessage(code, text, clock.now())),
    }
    invoke(incoming, responder)
  }

  /** Sign an answer for the sender of `request` and write it up the tunnel. */
  private answer(message: Outgoing, request: EnvelopeHeader): void {
    if (this.closed) return
    const { signer, clock, random } = this.options
    let sealed = seal(signer, { ...message, to: message.to ?? { type: 'node', id: request.sender } }, { timestamp: clock.now(), random, ref: request.id })
    if (sealedLength(sealed) > this.grant.limits.maxMessageBytes) {
      const refusal = errorMessage('too-large', `the answer has ${sealedLength(sealed)} bytes; this node's relay carries up to ${this.grant.limits.maxMessageBytes}`, clock.now())
      sealed = seal(signer, { ...refusal, to: { type: 'node', id: request.sender } }, { timestamp: clock.now(), random, ref: request.id })
    }
    const chunks = wireChunks(sealed)
    if (chunks.length === 1) this.socket.write(chunks[0]!)
    else {
      this.socket.cork()
      for (const chunk of chunks) this.socket.write(chunk)
      this.socket.uncork()
    }
  }

  private started(): void {
    if (++this.inProgress === MAX_IN_PROGRESS) this.socket.pause()
  }

  private finished(): void {
    if (this.inProgress-- === MAX_IN_PROGRESS) this.socket.resume()
  }
}
