/**
 * A cell nobody can dial keeps tunnels to RELAYS_WANTED relays (docs/networking.md
 * "Relays"): public nodes it knows (tree members, contacts, seeds) that take a
 * reservation. When a tunnel closes (the relay died, restarted, or stopped
 * answering its renewals) it opens one to another candidate at once; a
 * candidate that refused or could not be reached is left alone for
 * CANDIDATE_REST_MS. The set of relays in use is reported as it settles, so the
 * cell can advertise `via:` them.
 */
import { BorgError } from '../errors.js'
import type { Logger } from '../log.js'
import type { Clock, Timer } from '../wire/clock.js'
import type { Peer } from '../wire/transport.js'
import type { RelayTunnel, RelayTunnelOptions } from '../net/relay-tunnel.js'
import { isRelayed } from '../net/relayed-endpoint.js'

export const RELAYS_WANTED = 2
/** With fewer relays than wanted and no candidate left to try, look again this often. */
export const RELAY_RETRY_MS = 5_000
/** A candidate that refused, or could not be reached, is not asked again for this long. */
export const CANDIDATE_REST_MS = 10_000
/** How long opening one tunnel (connect, upgrade, reservation) may take. */
export const RELAY_OPEN_TIMEOUT_MS = 5_000
/** Changes of the relay set are reported once it has been stable this long. */
export const RELAY_SETTLE_MS = 1_000

export interface RelayKeeperOptions {
  open(endpoint: string, onClose: RelayTunnelOptions['onClose'], timeoutMs: number): Promise<RelayTunnel>
  clock: Clock
  log: Logger
  /** Nodes that might relay, best first (their direct endpoints). */
  candidates(): Peer[]
  /** The relays in use changed (and settled): their endpoints, oldest tunnel first. */
  onRelays(endpoints: string[]): void
  wanted?: number
}

export interface RelayKeeperStatus {
  active: boolean
  relays: { endpoint: string; relayId: string; since: number; expiresAt: number; relayed: number }[]
}

export class RelayKeeper {
  private readonly tunnels = new Map<string, { tunnel: RelayTunnel; since: number }>()
  private readonly resting = new Map<string, number>()
  private active = false
  private filling = false
  private retry?: Timer
  private settle?: Timer
  private reported = ''

  constructor(private readonly options: RelayKeeperOptions) {}

  get wanted(): number {
    return this.options.wanted ?? RELAYS_WANTED
  }

  /** Relays in use now (endpoints, oldest first). */
  get relays(): string[] {
    return [...this.tunnels.keys()]
  }

  status(): RelayKeeperStatus {
    return {
      active: this.active,
      relays: [...this.tunnels.entries()].map(([endpoint, { tunnel, since }]) => ({
        endpoint,
        relayId: tunnel.relayId,
        since,
        expiresAt: tunnel.grant.expiresAt,
        relayed: tunnel.stats.relayed,
      })),
    }
  }

  /** This cell needs relays: get them and keep them. */
  start(): void {
    if (this.active) return
    this.active = true
    void this.fill()
  }

  /** This cell is reachable again (or stopping): let the relays go. */
  stop(): void {
    this.active = false
    this.retry?.cancel()
    this.settle?.cancel()
    for (const { tunnel } of this.tunnels.values()) tunnel.close(new BorgError('unavailable', 'relay no longer needed'))
    this.tunnels.clear()
  }

  private async fill(): Promise<void> {
    if (this.filling || !this.active) return
    this.filling = true
    try {
      while (this.active && this.tunnels.size < this.wanted) {
        const now = this.options.clock.monotonic()
        const candidate = this.options
          .candidates()
          .find((c) => !isRelayed(c.endpoint) && !this.tunnels.has(c.endpoint) && (this.resting.get(c.endpoint) ?? 0) <= now)
        if (!candidate) break
        try {
          const tunnel = await this.options.open(candidate.endpoint, (closed, reason) => this.lost(closed, reason), RELAY_OPEN_TIMEOUT_MS)
          if (!this.active) {
            tunnel.close(new BorgError('unavailable', 'relay no longer needed'))
            break
          }
          this.tunnels.set(tunnel.endpoint, { tunnel, since: this.options.clock.now() })
          this.options.log.info(`reserved a relay slot at ${tunnel.endpoint} (node ${tunnel.relayId.slice(0, 16)}…)`)
          this.changed()
        } catch (error) {
          this.resting.set(candidate.endpoint, now + CANDIDATE_REST_MS)
          const why = error instanceof BorgError ? `${error.code}: ${error.message}` : String(error)
          this.options.log.debug(`no relay slot at ${candidate.endpoint}: ${why}`)
        }
      }
    } finally {
      this.filling = false
    }
    if (this.active && this.tunnels.size < this.wanted) {
      this.retry?.cancel()
      this.retry = this.options.clock.after(RELAY_RETRY_MS, () => void this.fill())
    }
  }

  private lost(tunnel: RelayTunnel, reason: BorgError): void {
    const held = this.tunnels.get(tunnel.endpoint)
    if (held?.tunnel !== tunnel) return
    this.tunnels.delete(tunnel.endpoint)
    if (!this.active) return
    this.options.log.warn(`lost the relay at ${tunnel.endpoint} (${reason.message}): finding another`)
    this.resting.set(tunnel.endpoint, this.options.clock.monotonic() + CANDIDATE_REST_MS)
    this.changed()
    void this.fill()
  }

  private changed(): void {
    this.settle?.cancel()
    this.settle = this.options.clock.after(RELAY_SETTLE_MS, () => {
      const relays = this.relays
      const key = relays.join(',')
      if (!this.active || key === this.reported) return
      this.reported = key
      this.options.onRelays(relays)
    })
  }
}
