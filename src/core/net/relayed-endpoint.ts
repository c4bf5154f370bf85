/**
 * The endpoint of a node reached through relays (docs/protocol.md §4.6):
 * `via:` and its relays' endpoints, comma-separated, e.g.
 * `via:203.0.113.7:13350,[2001:db8::1]:13350`. Whoever sends to it POSTs to one
 * of the relays, naming the node by its id (a relayed peer always has one).
 */
import { BorgError } from '../errors.js'
import { formatEndpoint, parseEndpoint } from './endpoint.js'

export const VIA_PREFIX = 'via:'
/** Relays one endpoint may name (a node keeps two; room for a few more). */
export const MAX_RELAYS_PER_ENDPOINT = 4

export function isRelayed(endpoint: string): boolean {
  return endpoint.startsWith(VIA_PREFIX)
}

/** The relays' endpoints, canonical, in the order given; throws `usage` on anything else. */
export function parseRelayed(endpoint: string): string[] {
  if (!isRelayed(endpoint)) throw new BorgError('usage', `not a relayed endpoint: ${JSON.stringify(endpoint)}`)
  const relays = endpoint.slice(VIA_PREFIX.length).split(',')
  if (relays.length === 0 || relays.length > MAX_RELAYS_PER_ENDPOINT) {
    throw new BorgError('usage', `a relayed endpoint names 1 to ${MAX_RELAYS_PER_ENDPOINT} relays: ${JSON.stringify(endpoint)}`)
  }
  return relays.map((relay) => formatEndpoint(parseEndpoint(relay)))
}

export function formatRelayed(relays: string[]): string {
  if (relays.length === 0 || relays.length > MAX_RELAYS_PER_ENDPOINT) throw new Error(`a relayed endpoint names 1 to ${MAX_RELAYS_PER_ENDPOINT} relays`)
  return VIA_PREFIX + relays.map((relay) => formatEndpoint(parseEndpoint(relay))).join(',')
}

/** A direct endpoint (HOST:PORT) or a relayed one, canonical; throws `usage` on anything else. */
export function canonicalPeerEndpoint(endpoint: string): string {
  return isRelayed(endpoint) ? formatRelayed(parseRelayed(endpoint)) : formatEndpoint(parseEndpoint(endpoint))
}
