/** "host:port" endpoints: the one way nodes are addressed on the network. */
import { BorgError } from '../errors.js'

export interface Endpoint {
  host: string
  port: number
}

export function parseEndpoint(text: string): Endpoint {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s/]+)):(\d{1,5})$/.exec(text.trim())
  const port = match ? Number(match[3]) : NaN
  if (!match || port < 1 || port > 65535) {
    throw new BorgError('usage', `invalid endpoint ${JSON.stringify(text)}: expected HOST:PORT, e.g. 127.0.0.1:13300 or [::1]:13300`)
  }
  return { host: match[1] ?? match[2]!, port }
}

export function formatEndpoint({ host, port }: Endpoint): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

export function originOf(endpoint: Endpoint): string {
  return `https://${formatEndpoint(endpoint)}`
}

/** Normalise whatever undici hands a connector (hostname may carry IPv6 brackets, port may be ''). */
export function endpointKey(hostname: string, port: string | number): string {
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname
  return formatEndpoint({ host, port: Number(port) || 443 })
}

/** A socket's peer as this node sees it: an IPv4 peer on a dual-stack socket loses its `::ffff:` prefix. */
export function observedPeer(socket: { remoteAddress?: string; remotePort?: number } | undefined): { address: string; port: number } | undefined {
  const address = socket?.remoteAddress
  if (!address) return undefined
  return { address: address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address, port: socket.remotePort ?? 0 }
}
