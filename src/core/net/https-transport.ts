/**
 * Transport over HTTPS: a WireServer for inbound messages (optional: CLI
 * clients do not listen) and a WireClient for outbound ones, sharing one
 * verifier so replay protection covers both directions.
 */
import { bytesToHex } from '../bytes.js'
import { createLogger, type Logger } from '../log.js'
import { type Clock } from '../wire/clock.js'
import { SystemClock } from '../time/system-clock.js'
import type { Incoming, Outgoing } from '../wire/message.js'
import { BorgError } from '../errors.js'
import { type Random } from '../wire/random.js'
import { cryptoRandom } from '../crypto/random.js'
import type { MessageHandler, Peer, Responder, SendOptions, Transport } from '../wire/transport.js'
import type { EnvelopeSigner } from '../envelope/seal.js'
import { EnvelopeVerifier, type VerifierOptions } from '../envelope/verifier.js'
import type { TlsMaterial } from './cert.js'
import { formatEndpoint, parseEndpoint, type Endpoint } from './endpoint.js'
import { WireClient, toBorgError } from './https-client.js'
import { WireServer, checkGetPrefix, type HttpGetHandler, type WireServerOptions } from './https-server.js'
import type { RelayService } from './relay-server.js'
import { openRelayTunnel, type RelayTunnel, type RelayTunnelOptions } from './relay-tunnel.js'
import type { PinStore } from './pins.js'
import type { InboundBudget } from './inbound-budget.js'

export interface HttpsTransportOptions {
  signer: EnvelopeSigner
  clock?: Clock
  random?: Random
  log?: Logger
  /** Needed only to listen. */
  tls?: TlsMaterial
  pins?: PinStore
  timeoutMs?: number
  verifier?: Omit<VerifierOptions, 'localId' | 'clock' | 'onReject'>
  maxHoldMs?: number
  advertise?: string[]
  /** The node's inbound budget, shared by all its transports (default: one of this transport's own). */
  budget?: InboundBudget
  /** Small outbound messages ride links (default: on unless BORG_LINKS=0). */
  links?: boolean
  /** Inbound links kept at once (default 1,024; 0: this node takes none). */
  maxLinks?: number
  /** Relay for nodes nobody can dial (§4.6; default: relays for nobody). */
  relay?: WireServerOptions['relay']
}

export class HttpsTransport implements Transport {
  readonly localId: string
  readonly verifier: EnvelopeVerifier
  readonly client: WireClient
  private server?: WireServer
  private handler?: MessageHandler
  private readonly getRoutes: [string, HttpGetHandler][] = []

  constructor(private readonly options: HttpsTransportOptions) {
    const clock = options.clock ?? new SystemClock()
    const log = options.log ?? createLogger('wire')
    this.localId = bytesToHex(options.signer.keyId)
    this.verifier = new EnvelopeVerifier({ ...options.verifier, localId: options.signer.keyId, clock })
    this.client = new WireClient({
      signer: options.signer,
      clock,
      random: options.random ?? cryptoRandom,
      verifier: this.verifier,
      log,
      pins: options.pins,
      timeoutMs: options.timeoutMs,
      links: options.links,
    })
  }

  async listen(host: string, port: number): Promise<Endpoint> {
    const { tls, signer } = this.options
    if (!tls) throw new Error('HttpsTransport.listen needs TLS material')
    this.server = new WireServer({
      signer,
      clock: this.options.clock ?? new SystemClock(),
      random: this.options.random ?? cryptoRandom,
      tls,
      verifier: this.verifier,
      log: this.options.log ?? createLogger('wire'),
      maxHoldMs: this.options.maxHoldMs,
      advertise: this.options.advertise,
      budget: this.options.budget,
      maxLinks: this.options.maxLinks,
      relay: this.options.relay,
    })
    if (this.handler) this.server.setHandler(this.handler)
    for (const [prefix, handler] of this.getRoutes) this.server.getRoute(prefix, handler)
    return this.server.listen(host, port)
  }

  /** A plain GET route on this transport's server (organs register theirs before it listens). */
  httpGet(prefix: string, handler: HttpGetHandler): void {
    checkGetPrefix(prefix)
    this.getRoutes.push([prefix, handler])
    this.server?.getRoute(prefix, handler)
  }

  get card(): Uint8Array | undefined {
    return this.server?.card
  }

  get serverStats(): WireServer['stats'] | undefined {
    return this.server?.stats
  }

  /** The inbound budget this transport's server draws on (once listening). */
  get budget(): InboundBudget | undefined {
    return this.server?.budget
  }

  /** The relay this node runs for others (once listening, if it relays). */
  get relayService(): RelayService | undefined {
    return this.server?.relay
  }

  /**
   * Reserve a slot at the relay at `endpoint` and keep a tunnel there: messages others send this
   * node through it reach this transport's handler, verified as if they came over HTTPS.
   */
  async openRelayTunnel(endpoint: string, onClose: RelayTunnelOptions['onClose'], timeoutMs = this.client.timeout): Promise<RelayTunnel> {
    const key = formatEndpoint(parseEndpoint(endpoint))
    const pin = await this.client.resolvePin(key, undefined)
    const clock = this.options.clock ?? new SystemClock()
    return openRelayTunnel(
      key,
      pin,
      {
        signer: this.options.signer,
        clock,
        random: this.options.random ?? cryptoRandom,
        verifier: this.verifier,
        log: this.options.log ?? createLogger('wire'),
        invoke: (incoming, responder) => this.invoke(incoming, responder),
        onClose,
      },
      timeoutMs,
    ).catch((error) => {
      throw toBorgError(error, key)
    })
  }

  /** Hand a verified message to the handler (the server's way: a throw becomes the refusal). */
  private invoke(incoming: Incoming, responder: Responder | undefined): BorgError | undefined {
    if (this.server) return this.server.invokeHandler(incoming, responder)
    if (!this.handler) {
      const refusal = new BorgError('unknown-kind', `no handler for message kind ${incoming.kind}`)
      responder?.fail(refusal.code, refusal.message)
      return refusal
    }
    try {
      this.handler(incoming, responder)
      return undefined
    } catch (error) {
      const refusal = error instanceof BorgError ? error : new BorgError('internal', `handler for ${incoming.kind} failed`)
      responder?.fail(refusal.code, refusal.message)
      return refusal
    }
  }

  send(peer: Peer, message: Outgoing, options?: SendOptions): void {
    this.client.send(peer, message, options)
  }

  prepare(peer: Peer): void {
    this.client.warm(peer)
  }

  onMessage(handler: MessageHandler): void {
    this.handler = handler
    this.server?.setHandler(handler)
  }

  async close(): Promise<void> {
    await Promise.all([this.server?.close(), this.client.close()])
  }
}
