/**
 * This machine's addresses as the network sees them from inside: the default
 * gateway (from the kernel's routing table), the local address on its subnet,
 * and the address a node bound to every interface advertises until its
 * neighbours say where they see it (primaryAddress).
 */
import { readFile } from 'node:fs/promises'
import { networkInterfaces } from 'node:os'

/** The IPv4 default gateway, from the kernel's routing table (Linux). */
export async function defaultGateway(): Promise<string | undefined> {
  return gatewayFromRouteTable(await readFile('/proc/net/route', 'utf8').catch(() => ''))
}

/** The default route's gateway in the text of /proc/net/route (addresses in little-endian hex). */
export function gatewayFromRouteTable(table: string): string | undefined {
  for (const line of table.split('\n').slice(1)) {
    const [, destination, gateway] = line.trim().split(/\s+/)
    if (destination === '00000000' && gateway && gateway !== '00000000') {
      const n = Number.parseInt(gateway, 16)
      return [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff].join('.')
    }
  }
  return undefined
}

/** This machine's IPv4 address on the router's subnet. */
export function localAddressFor(router: string, interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces()): string | undefined {
  const target = toNumber(router)
  for (const addresses of Object.values(interfaces)) {
    for (const a of addresses ?? []) {
      if (a.family !== 'IPv4' || a.internal) continue
      const mask = toNumber(a.netmask)
      if (((toNumber(a.address) ^ target) & mask) === 0) return a.address
    }
  }
  return undefined
}

/**
 * The address to advertise before anyone has said where they see this node: the one on the
 * default gateway's subnet, else the first IPv4 that is not loopback, else a global IPv6
 * address, else IPv4 loopback (a machine with no network).
 */
export async function primaryAddress(interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces()): Promise<string> {
  const gateway = await defaultGateway()
  const onGatewaySubnet = gateway ? localAddressFor(gateway, interfaces) : undefined
  if (onGatewaySubnet) return onGatewaySubnet
  const all = Object.values(interfaces).flatMap((a) => a ?? [])
  const v4 = all.find((a) => a.family === 'IPv4' && !a.internal)
  if (v4) return v4.address
  const v6 = all.find((a) => a.family === 'IPv6' && !a.internal && !a.address.toLowerCase().startsWith('fe80'))
  return v6?.address ?? '127.0.0.1'
}

/** Whether this machine has IPv6 at all (a dual-stack bind on `::` needs it). */
export function hasIpv6(interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces()): boolean {
  return Object.values(interfaces).some((addresses) => (addresses ?? []).some((a) => a.family === 'IPv6'))
}

function toNumber(ip: string): number {
  return ip.split('.').reduce((n, part) => ((n << 8) | Number(part)) >>> 0, 0)
}
