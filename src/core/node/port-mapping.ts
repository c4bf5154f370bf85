/**
 * Port mapping (docs/networking.md): a node listening on every interface
 * without an address to advertise asks its router to forward its net ports,
 * with UPnP IGD (found by SSDP on the LAN) or else NAT-PMP (at the default
 * gateway), through `@achingbrain/nat-port-mapper`. Each mapping lives
 * MAPPING_TTL_MS and is renewed every MAPPING_RENEW_MS; `close` (node leave or
 * stop) removes them. The router's external address is what the node then
 * advertises, and its reachability check (dial-back) confirms it.
 *
 * Only ever used for a node bound to every interface: nothing here runs for a
 * node on loopback (every test but the network-namespace ones).
 */
import { pmpNat, upnpNat, type Gateway } from '@achingbrain/nat-port-mapper'
import type { Logger } from '../log.js'
import type { Clock } from '../wire/clock.js'
import { defaultGateway, localAddressFor } from './local-address.js'

export { gatewayFromRouteTable, localAddressFor } from './local-address.js'

export const MAPPING_TTL_MS = 2 * 60 * 60_000
export const MAPPING_RENEW_MS = 60 * 60_000
/** How long to look for a UPnP gateway, then for a NAT-PMP answer. */
export const DISCOVERY_TIMEOUT_MS = 5_000

export interface PortMappingStatus {
  method: 'upnp' | 'nat-pmp'
  gateway: string
  externalAddress: string
  ports: number[]
  renewedAt: number
}

export class PortMapping {
  private renewal?: { cancel(): void }
  private renewedAt: number

  private constructor(
    private readonly gateway: Gateway,
    private readonly method: PortMappingStatus['method'],
    private readonly internalHost: string,
    readonly externalAddress: string,
    private readonly ports: number[],
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.renewedAt = clock.now()
    this.scheduleRenewal()
  }

  /**
   * Find the router and map `ports` (TCP, same external port) to this machine;
   * undefined when no router answers or it refuses (the caller then needs an
   * address from the user).
   */
  static async open(ports: number[], clock: Clock, log: Logger): Promise<PortMapping | undefined> {
    const found = (await findUpnp(log)) ?? (await findPmp(log))
    if (!found) return undefined
    const { gateway, method } = found
    const internalHost = localAddressFor(gateway.host)
    if (!internalHost) {
      log.warn(`port mapping: no local address on the router's network (${gateway.host})`)
      await gateway.stop().catch(() => {})
      return undefined
    }
    try {
      for (const port of ports) await mapOne(gateway, port, internalHost)
      const externalAddress = await gateway.externalIp({ signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS) })
      log.info(`port mapping (${method} at ${gateway.host}): ${externalAddress} ports ${ports.join(', ')} → ${internalHost}`)
      return new PortMapping(gateway, method, internalHost, externalAddress, ports, clock, log)
    } catch (error) {
      log.warn(`port mapping (${method} at ${gateway.host}) refused: ${describe(error)}`)
      await gateway.stop().catch(() => {})
      return undefined
    }
  }

  status(): PortMappingStatus {
    return { method: this.method, gateway: this.gateway.host, externalAddress: this.externalAddress, ports: [...this.ports], renewedAt: this.renewedAt }
  }

  /** Remove the mappings (best effort: the router drops them at their TTL anyway). */
  async close(): Promise<void> {
    this.renewal?.cancel()
    for (const port of this.ports) await this.gateway.unmap(port, { signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS) }).catch(() => {})
    await this.gateway.stop().catch(() => {})
    this.log.info(`port mapping removed: ports ${this.ports.join(', ')}`)
  }

  private scheduleRenewal(): void {
    this.renewal = this.clock.after(MAPPING_RENEW_MS, () => {
      void (async () => {
        try {
          for (const port of this.ports) await mapOne(this.gateway, port, this.internalHost)
          this.renewedAt = this.clock.now()
        } catch (error) {
          this.log.warn(`port mapping renewal failed: ${describe(error)}`, 'port-mapping')
        }
        this.scheduleRenewal()
      })()
    })
  }
}

function mapOne(gateway: Gateway, port: number, internalHost: string): Promise<unknown> {
  // No `protocol` option: TCP is the default, and bun's fetch refuses an init carrying one.
  return gateway.map(port, internalHost, {
    externalPort: port,
    ttl: MAPPING_TTL_MS,
    autoRefresh: false,
    description: 'borg node',
    signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
  })
}

async function findUpnp(log: Logger): Promise<{ gateway: Gateway; method: 'upnp' } | undefined> {
  try {
    for await (const gateway of upnpNat({ autoRefresh: false }).findGateways({ signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS) })) {
      if (gateway.family === 'IPv4') return { gateway, method: 'upnp' }
    }
  } catch (error) {
    log.debug(`no UPnP gateway: ${(error as Error).message}`)
  }
  return undefined
}

async function findPmp(log: Logger): Promise<{ gateway: Gateway; method: 'nat-pmp' } | undefined> {
  const router = await defaultGateway()
  if (!router) return undefined
  const gateway = pmpNat(router, { autoRefresh: false })
  try {
    await gateway.externalIp({ signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS) })
    return { gateway, method: 'nat-pmp' }
  } catch (error) {
    log.debug(`no NAT-PMP at ${router}: ${(error as Error).message}`)
    await gateway.stop().catch(() => {})
    return undefined
  }
}

/** An error and its cause (fetch hides the network error in `cause`). */
function describe(error: unknown): string {
  const e = error as Error & { cause?: { message?: string; code?: string } }
  return e.cause ? `${e.message} (${e.cause.code ?? e.cause.message ?? String(e.cause)})` : e.message
}
