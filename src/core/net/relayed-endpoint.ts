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

/** A node id as written by users: the hex key id (ed25519 "ed…", secp256k1 "01…"). */
const NODE_ID = /^[0-9a-f]{66,68}$/

/**
 * Where a node is, as users write it: `HOST:PORT`, `NODEID@HOST:PORT`, or `NODEID@via:…`
 * (a relayed node needs its id). Canonical; throws `usage` on anything else.
 */
export function parsePeerRef(text: string): { endpoint: string; id?: string; text: string } {
  const trimmed = text.trim()
  const at = trimmed.indexOf('@')
  const id = at < 0 ? undefined : trimmed.slice(0, at).toLowerCase()
  if (id !== undefined && !NODE_ID.test(id)) throw new BorgError('usage', `invalid node id in ${JSON.stringify(text)}: expected the hex node id before "@"`)
  const endpoint = canonicalPeerEndpoint(at < 0 ? trimmed : trimmed.slice(at + 1))
  if (isRelayed(endpoint) && !id) throw new BorgError('usage', `${JSON.stringify(text)}: a node reached through relays is written NODEID@via:… (its id and endpoint are in its \`borg node status\`)`)
  return { endpoint, id, text: id ? `${id}@${endpoint}` : endpoint }
}
