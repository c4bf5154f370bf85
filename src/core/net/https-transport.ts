/**
 * Transport over HTTPS: a WireServer for inbound messages (optional: CLI
 * clients do not listen) and a WireClient for outbound ones, sharing one
 * verifier so replay protection covers both directions.
 */
import { bytesToHex } from '../bytes.js'
import { createLogger, type Logger } from '../log.js'
import { type Clock } from '../wire/clock.js'
import { SystemClock } from '../time/system-clock.js'
import type { Outgoing } from '../wire/message.js'
import { type Random } from '../wire/random.js'
import { cryptoRandom } from '../crypto/random.js'
import type { MessageHandler, Peer, SendOptions, Transport } from '../wire/transport.js'
import type { EnvelopeSigner } from '../envelope/seal.js'
import { EnvelopeVerifier, type VerifierOptions } from '../envelope/verifier.js'
import type { TlsMaterial } from './cert.js'
import type { Endpoint } from './endpoint.js'
import { WireClient } from './https-client.js'
import { WireServer, checkGetPrefix, type HttpGetHandler } from './https-server.js'
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
