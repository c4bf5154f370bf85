/**
 * What a node lets senders make it hold in memory: envelope bodies being
 * received (and held until they are answered), across every connection and
 * port of the node. One InboundBudget is created per node and shared by all
 * its HTTPS transports; each request draws a BodyAllowance from it.
 *
 * - node bytes: body bytes in flight on the whole node;
 * - connection bytes and requests: what one connection may hold (HTTP/1.1
 *   pipelining lets one connection start many requests);
 * - upload rate floor: enforced by UploadWatchdog with these limits.
 *
 * Bytes are charged as body buffers grow (EnvelopeReader reserves before it
 * allocates), not at the size a header announces, so holding budget costs a
 * sender the bytes it actually sent; an idle connection costs nothing.
 */
import { BorgError } from '../errors.js'
import { formatSize, parseSize } from '../storage/size.js'

export interface InboundLimits {
  /** Body bytes in flight across the node. */
  nodeBytes: number
  /** Body bytes in flight on one connection. */
  connectionBytes: number
  /** Requests in progress on one connection (received, not yet answered). */
  connectionRequests: number
  /** Slowest accepted upload, bytes per second; 0 disables the floor. */
  minBytesPerSecond: number
  /** The floor is checked over windows of this length, the first one starting with the request (the grace period). */
  rateWindowMs: number
}

export const DEFAULT_INBOUND_LIMITS: Readonly<InboundLimits> = {
  nodeBytes: 128 * 1024 * 1024,
  connectionBytes: 64 * 1024 * 1024,
  connectionRequests: 4,
  minBytesPerSecond: 8 * 1024,
  rateWindowMs: 10_000,
}

/** Environment overrides, for a node (documented in docs/security.md, Budgets). */
export const INBOUND_ENV = {
  nodeBytes: 'BORG_INBOUND_MAX',
  connectionBytes: 'BORG_INBOUND_CONN_MAX',
  connectionRequests: 'BORG_INBOUND_CONN_REQUESTS',
  minBytesPerSecond: 'BORG_UPLOAD_MIN_RATE',
  rateWindowMs: 'BORG_UPLOAD_GRACE_MS',
} as const

export function inboundLimitsFromEnv(env: Record<string, string | undefined>): InboundLimits {
  const size = (name: string, fallback: number) => (env[name] ? parseSize(env[name]!, name) : fallback)
  const count = (name: string, fallback: number, min: number) => {
    if (!env[name]) return fallback
    const value = Number(env[name])
    if (!Number.isSafeInteger(value) || value < min) throw new BorgError('invalid-input', `${name}: expected an integer of at least ${min}, got ${JSON.stringify(env[name])}`)
    return value
  }
  const d = DEFAULT_INBOUND_LIMITS
  return {
    nodeBytes: size(INBOUND_ENV.nodeBytes, d.nodeBytes),
    connectionBytes: size(INBOUND_ENV.connectionBytes, d.connectionBytes),
    connectionRequests: count(INBOUND_ENV.connectionRequests, d.connectionRequests, 1),
    minBytesPerSecond: size(INBOUND_ENV.minBytesPerSecond, d.minBytesPerSecond),
    rateWindowMs: count(INBOUND_ENV.rateWindowMs, d.rateWindowMs, 100),
  }
}

/** Defaults that admit at least one body of `maxBodyBytes` (a transport whose verifier allows larger bodies). */
export function limitsForBodies(maxBodyBytes: number, limits: Partial<InboundLimits> = {}): InboundLimits {
  const d = DEFAULT_INBOUND_LIMITS
  return {
    ...d,
    nodeBytes: Math.max(d.nodeBytes, maxBodyBytes),
    connectionBytes: Math.max(d.connectionBytes, maxBodyBytes),
    ...limits,
  }
}

interface ConnectionShare {
  requests: number
  bytes: number
}

export interface BudgetStats {
  inUse: number
  peak: number
  limits: InboundLimits
}

export class InboundBudget {
  readonly limits: InboundLimits
  private used = 0
  private peakUsed = 0
  // Keyed by socket: a connection gets a share with its first request and loses it with the socket.
  private readonly connections = new WeakMap<object, ConnectionShare>()

  constructor(limits: Partial<InboundLimits> = {}) {
    this.limits = { ...DEFAULT_INBOUND_LIMITS, ...limits }
  }

  /** Body bytes charged right now, node-wide. */
  get inUse(): number {
    return this.used
  }

  stats(): BudgetStats {
    return { inUse: this.used, peak: this.peakUsed, limits: this.limits }
  }

  /**
   * A request starts on `connection`; throws `busy` when the connection already has its limit in
   * progress (`maxRequests`: a link's own limit instead of an HTTP connection's).
   */
  open(connection: object, maxRequests = this.limits.connectionRequests): BodyAllowance {
    let share = this.connections.get(connection)
    if (!share) this.connections.set(connection, (share = { requests: 0, bytes: 0 }))
    if (share.requests >= maxRequests) {
      throw new BorgError('busy', `${share.requests} requests are already in progress on this connection (limit ${maxRequests}); wait for their answers or open another connection`)
    }
    share.requests++
    return new BodyAllowance(this, share)
  }

  /** @internal BodyAllowance's accounting. */
  charge(share: ConnectionShare, bytes: number): void {
    const { connectionBytes, nodeBytes } = this.limits
    if (share.bytes + bytes > connectionBytes) {
      throw new BorgError('busy', `this connection already has ${formatSize(share.bytes)} of body bytes in flight, ${formatSize(bytes)} more would exceed its limit of ${formatSize(connectionBytes)}`)
    }
    if (this.used + bytes > nodeBytes) {
      throw new BorgError('busy', `node busy: ${formatSize(this.used)} of its ${formatSize(nodeBytes)} inbound budget are in flight, ${formatSize(bytes)} more do not fit; retry later or elsewhere`)
    }
    share.bytes += bytes
    this.used += bytes
    if (this.used > this.peakUsed) this.peakUsed = this.used
  }

  /** @internal */
  refund(share: ConnectionShare, bytes: number, endsRequest: boolean): void {
    share.bytes -= bytes
    this.used -= bytes
    if (endsRequest) share.requests--
  }
}

/** One request's draw on the budget, from its start until its answer is sent. */
export class BodyAllowance {
  private charged = 0
  private released = false

  constructor(
    private readonly budget: InboundBudget,
    private readonly share: ConnectionShare,
  ) {}

  /** The header announced `bodyLength`: refuse at once what could not fit now (nothing is charged yet). */
  admit(bodyLength: number): void {
    const { connectionBytes, nodeBytes } = this.budget.limits
    if (bodyLength > connectionBytes) {
      throw new BorgError('too-large', `body of ${formatSize(bodyLength)} exceeds this node's limit of ${formatSize(connectionBytes)} per connection`)
    }
    if (this.share.bytes + bodyLength > connectionBytes) {
      throw new BorgError('busy', `this connection already has ${formatSize(this.share.bytes)} of body bytes in flight; a body of ${formatSize(bodyLength)} would exceed its limit of ${formatSize(connectionBytes)}`)
    }
    const inUse = this.budget.inUse
    if (inUse + bodyLength > nodeBytes) {
      throw new BorgError('busy', `node busy: ${formatSize(inUse)} of its ${formatSize(nodeBytes)} inbound budget are in flight, a body of ${formatSize(bodyLength)} does not fit; retry later or elsewhere`)
    }
  }

  /** Charge `bytes` before allocating them; throws `busy` beyond the connection's or the node's limit. */
  reserve(bytes: number): void {
    if (this.released) throw new BorgError('internal', 'body allowance used after its release')
    this.budget.charge(this.share, bytes)
    this.charged += bytes
  }

  /** The answer is out (or the connection gone): give everything back. Idempotent. */
  release(): void {
    if (this.released) return
    this.released = true
    this.budget.refund(this.share, this.charged, true)
    this.charged = 0
  }
}
