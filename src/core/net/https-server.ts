/**
 * The node's HTTPS endpoint. Every POST body is one envelope; it is verified
 * while it streams in (header first, so bad or oversized messages are refused
 * before their body is read) and only then handed to the protocol handler.
 * Bodies draw on the node's InboundBudget (bytes in flight per node and per
 * connection, requests per connection) and must keep up the upload rate floor;
 * beyond a bound the sender gets a signed `busy`, `too-large` or `timeout`.
 * Every response body is an envelope signed by this node, errors included.
 * Besides, a cell may serve plain GET routes (`getRoute`, e.g. the fstream
 * cell's `/files/ID` for players); they never see envelopes.
 */
import { createServer, type Server } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { BorgError, type ErrorCode } from '../errors.js'
import type { Logger } from '../log.js'
import type { Clock } from '../wire/clock.js'
import type { Incoming, Outgoing } from '../wire/message.js'
import type { Random } from '../wire/random.js'
import type { MessageHandler, Responder } from '../wire/transport.js'
import type { EnvelopeHeader } from '../envelope/codec.js'
import type { ReadError } from '../envelope/reader.js'
import { seal, sealedLength, type EnvelopeSigner } from '../envelope/seal.js'
import type { EnvelopeVerifier } from '../envelope/verifier.js'
import { createCard } from './card.js'
import type { TlsMaterial } from './cert.js'
import { formatEndpoint, observedPeer, type Endpoint } from './endpoint.js'
import { InboundBudget, limitsForBodies, type BodyAllowance } from './inbound-budget.js'
import { LinkServer } from './link-server.js'
import { readInboundEnvelope } from './inbound-body.js'
import { CARD_PATH, ENVELOPE_CONTENT_TYPE, MESSAGE_PATH, RELAY_PATH, errorMessage, httpStatusFor, wireChunks } from './http-mapping.js'
import { RelayService, type RelayServiceOptions } from './relay-server.js'

export interface WireServerOptions {
  signer: EnvelopeSigner
  clock: Clock
  random: Random
  tls: TlsMaterial
  verifier: EnvelopeVerifier
  log: Logger
  /** Longest a request may wait for its handler's reply. */
  maxHoldMs?: number
  /** Endpoints to advertise in the card (default: the bound address). */
  advertise?: string[]
  /** The node's inbound budget, shared by all its servers (default: one of this server's own). */
  budget?: InboundBudget
  /** Links kept at once (default 1,024; 0: plain requests only). */
  maxLinks?: number
  /** Relay for nodes nobody can dial (§4.6): its limits and when it declines (default: this server relays for nobody). */
  relay?: Pick<RelayServiceOptions, 'limits' | 'declines'>
}

/** Answers a GET or HEAD under a registered path prefix; it must end the response itself. */
export type HttpGetHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>

/** GET routes live beside the protocol's own paths, never under them. */
export function checkGetPrefix(prefix: string): void {
  if (!prefix.startsWith('/') || prefix.startsWith('/borg/')) throw new Error(`a GET route needs a path prefix outside /borg/: ${prefix}`)
}

const EMPTY = new Uint8Array(0)

/** After refusing a body mid-way, how long the signed error may take to leave before the socket is destroyed. */
const REFUSAL_LINGER_MS = 5_000

export class WireServer {
  private readonly server: Server
  private handler: MessageHandler = (message, responder) =>
    responder?.fail('unknown-kind', `no handler for message kind ${message.kind}`)
  private cardBytes: Uint8Array = EMPTY
  private readonly getRoutes: { prefix: string; handler: HttpGetHandler }[] = []
  private bound?: Endpoint
  readonly stats = { requests: 0, delivered: 0, replied: 0, handlerErrors: 0, bodyBytes: 0 }
  readonly budget: InboundBudget
  /** Kept connections carrying envelopes back to back (§4.5). */
  readonly links: LinkServer
  /** Tunnels of relayed nodes and the envelopes sent to them (§4.6), when this server relays. */
  readonly relay?: RelayService

  constructor(private readonly options: WireServerOptions) {
    this.budget = options.budget ?? new InboundBudget(limitsForBodies(options.verifier.maxBodyBytes))
    this.links = new LinkServer({
      ...options,
      budget: this.budget,
      maxHoldMs: options.maxHoldMs ?? 60_000,
      stats: this.stats,
      invoke: (incoming, responder) => this.invokeHandler(incoming, responder),
    })
    if (options.relay) this.relay = new RelayService({ ...options.relay, signer: options.signer, clock: options.clock, random: options.random, verifier: options.verifier, log: options.log })
    this.server = createServer({ key: options.tls.keyPem, cert: options.tls.certPem }, (req, res) => {
      this.route(req, res).catch((error) => {
        options.log.error(`unexpected error serving ${req.method} ${req.url}: ${(error as Error).stack ?? error}`)
        if (!res.headersSent) this.respondError(res, 'internal', 'internal error', undefined)
        else res.destroy()
      })
    })
    this.server.keepAliveTimeout = 600_000 // neighbours keep their connections warm between bursts
    this.server.headersTimeout = 20_000
    // Bulk bodies are bounded by size and by the upload rate floor (UploadWatchdog), not by a fixed duration.
    this.server.requestTimeout = 0
    this.server.timeout = 600_000 // idle sockets (kept-alive neighbours, stalled uploads) close after 10 min
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (this.relay && (req.url ?? '').split('?')[0] === RELAY_PATH) this.relay.upgrade(req, socket, head)
      else this.links.upgrade(req, socket, head)
    })
  }

  setHandler(handler: MessageHandler): void {
    this.handler = handler
  }

  /** Serve GET and HEAD requests whose path starts with `prefix` (the card and envelope paths stay as they are). */
  getRoute(prefix: string, handler: HttpGetHandler): void {
    checkGetPrefix(prefix)
    this.getRoutes.push({ prefix, handler })
  }

  get endpoint(): Endpoint {
    if (!this.bound) throw new Error('server is not listening')
    return this.bound
  }

  /** This node's signed card (available once listening). */
  get card(): Uint8Array {
    return this.cardBytes
  }

  async listen(host: string, port: number): Promise<Endpoint> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => reject(error)
      this.server.once('error', onError)
      this.server.listen(port, host, () => {
        this.server.off('error', onError)
        resolve()
      })
    }).catch((error: NodeJS.ErrnoException) => {
      const code: ErrorCode = error.code === 'EACCES' ? 'refused' : 'unavailable' // a port in use is unavailable (exit 4, docs/cli.md)
      throw new BorgError(code, `cannot listen on ${formatEndpoint({ host, port })}: ${error.message}`, { cause: error, details: { host, port } })
    })
    const address = this.server.address() as AddressInfo
    this.bound = { host, port: address.port }
    const { signer, tls, clock, random, advertise } = this.options
    this.cardBytes = createCard(
      signer,
      { certSha256: tls.certSha256, endpoints: advertise ?? [formatEndpoint(this.bound)], expiresAt: tls.notAfter },
      clock.now(),
      random,
    )
    return this.bound
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve())
      this.server.closeAllConnections()
      this.links.close()
      this.relay?.close()
    })
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0]
    if (req.method === 'GET' && path === CARD_PATH) {
      res.writeHead(200, { 'content-type': ENVELOPE_CONTENT_TYPE, 'content-length': this.cardBytes.length, 'cache-control': 'no-store' })
      res.end(this.cardBytes)
      return
    }
    if (req.method === 'POST' && path === MESSAGE_PATH) {
      await this.receive(req, res)
      return
    }
    if (req.method === 'POST' && path.startsWith(`${RELAY_PATH}/`)) {
      if (this.relay) return this.relay.forward(req, res, path.slice(RELAY_PATH.length + 1))
      req.resume()
      return this.respondError(res, 'not-found', 'this node relays for nobody', undefined)
    }
    const route = req.method === 'GET' || req.method === 'HEAD' ? this.getRoutes.find((r) => path.startsWith(r.prefix)) : undefined
    if (route) {
      await route.handler(req, res)
      return
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' })
    res.end(`borg node: POST envelopes to ${MESSAGE_PATH}, GET ${CARD_PATH} for this node's card\n`)
  }

  private async receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.stats.requests++
    const { clock, verifier, log } = this.options
    const receivedAt = clock.now()
    const remote = req.socket?.remoteAddress ?? 'unknown address'
    const refuse = (error: BorgError) => {
      const header = (error as ReadError).header
      log.warn(`rejected message from ${remote}: ${error.code}: ${error.message}`, `reject:${error.code}`)
      this.respondError(res, error.code, error.message, header)
      if (!req.complete) {
        req.pause() // the rest of a refused body waits in the kernel's buffers, not in this heap, until the socket closes
        // A sender that stopped reading cannot keep the socket by not taking the error.
        clock.after(REFUSAL_LINGER_MS, () => req.socket?.destroy())
      }
    }
    let allowance: BodyAllowance
    try {
      allowance = this.budget.open(req.socket)
    } catch (error) {
      if (!(error instanceof BorgError)) throw error
      return refuse(verifier.reject(error))
    }
    // The body's bytes stay charged until its answer is out, or the connection is gone: a pipelined
    // request whose answer is still queued gets no 'close' of its own when the socket dies.
    const socket = req.socket
    const release = () => {
      allowance.release()
      socket.off('close', release)
    }
    res.once('close', release)
    socket.once('close', release)
    let received: { header: EnvelopeHeader; incoming: Incoming }
    try {
      received = await readInboundEnvelope(req, { verifier, allowance, limits: this.budget.limits, clock, onBytes: (n) => (this.stats.bodyBytes += n) })
    } catch (error) {
      if (!(error instanceof BorgError)) throw error
      return refuse(error)
    }
    this.stats.delivered++
    const { header } = received
    const peer = observedPeer(req.socket)
    const incoming = { ...received.incoming, receivedAt, ...(peer ? { remote: peer } : {}) }
    if (!header.expectsReply) {
      // The handler runs first (it only starts work), so a refusal reaches the sender instead of a 204.
      const error = this.invokeHandler(incoming, undefined)
      if (error) return this.respondError(res, error.code, error.message, header)
      res.writeHead(204)
      res.end()
      return
    }
    let done = false
    const hold = this.options.clock.after(this.options.maxHoldMs ?? 60_000, () => responder.fail('timeout', `no reply to ${header.kind} within the server's limit`))
    res.on('close', () => {
      done = true
      hold.cancel()
    })
    const finish = () => {
      if (done) return false
      done = true
      hold.cancel()
      return true
    }
    const responder: Responder = {
      reply: (message: Outgoing) => {
        if (!finish()) return
        this.stats.replied++
        this.respondEnvelope(res, 200, message, header)
      },
      fail: (code: ErrorCode, text: string) => {
        if (!finish()) return
        this.respondError(res, code, text, header)
      },
    }
    this.invokeHandler(incoming, responder)
  }

  /** Runs the handler; what it threw becomes the answer (a BorgError is the sender's fault: refused, malformed …). */
  invokeHandler(incoming: Incoming, responder: Responder | undefined): BorgError | undefined {
    try {
      this.handler(incoming, responder)
      return undefined
    } catch (error) {
      this.stats.handlerErrors++
      const refusal = error instanceof BorgError
      if (!refusal) this.options.log.error(`handler for ${incoming.kind} threw: ${(error as Error).stack ?? error}`)
      const answer = refusal ? error : new BorgError('internal', `handler for ${incoming.kind} failed`)
      responder?.fail(answer.code, answer.message)
      return answer
    }
  }

  private respondEnvelope(res: ServerResponse, status: number, message: Outgoing, request: EnvelopeHeader | undefined): void {
    const { signer, clock, random } = this.options
    const to = message.to ?? (request ? { type: 'node' as const, id: request.sender } : undefined)
    const sealed = seal(signer, { ...message, to }, { timestamp: clock.now(), random, ref: request?.id })
    const headers: Record<string, string | number> = {
      'content-type': ENVELOPE_CONTENT_TYPE,
      'content-length': sealedLength(sealed),
    }
    if (status >= 400) headers.connection = 'close'
    res.writeHead(status, headers)
    const chunks = wireChunks(sealed)
    if (chunks.length === 1) return void res.end(chunks[0])
    res.cork()
    for (const chunk of chunks) res.write(chunk)
    res.end()
    res.uncork()
  }

  private respondError(res: ServerResponse, code: ErrorCode, text: string, request: EnvelopeHeader | undefined): void {
    if (res.headersSent) return void res.destroy()
    this.respondEnvelope(res, httpStatusFor(code), errorMessage(code, text, this.options.clock.now()), request)
  }
}
