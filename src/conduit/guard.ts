/**
 * The conduit's front door (docs/conduit.md "Defences"): every request to
 * the local server passes these checks before anything else reads it. A
 * loopback bind is not a trust boundary — any web page the user opens can
 * make the browser send requests to 127.0.0.1, and a DNS-rebinding page can
 * do it under its own origin — so:
 *
 * - Host must be exactly one of the loopback names with this conduit's port
 *   (parsed, not prefix-matched: "127.0.0.1.evil.test" is not loopback) → 400;
 * - no request ever gets CORS headers, and a preflight (OPTIONS) is refused;
 * - API requests carry `Authorization: Bearer <token>` → 401 without it;
 * - state-changing requests (anything but GET and HEAD) also need this
 *   conduit's own Origin → 403, and `Content-Type: application/json` → 415
 *   (a cross-site form or `text/plain` "simple request" never qualifies).
 */
import { timingSafeEqual } from 'node:crypto'
import { isIP } from 'node:net'

export interface GuardOptions {
  port: number
  /** The bearer token `borg ui` hands the page in the URL fragment. */
  token: string
}

export interface Verdict {
  status: 200 | 400 | 401 | 403 | 405 | 415
  reason?: string
}

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '::1'])

/** The host and port of a Host header, or undefined when it is not exactly HOST:PORT. */
export function parseHost(header: string | undefined): { host: string; port: number } | undefined {
  if (!header) return undefined
  const bracketed = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(header)
  const plain = /^([A-Za-z0-9.-]+):(\d{1,5})$/.exec(header)
  const match = bracketed ?? plain
  if (!match) return undefined
  const host = match[1]!.toLowerCase()
  if (bracketed && isIP(host) !== 6) return undefined
  const port = Number(match[2])
  return port >= 1 && port <= 65535 ? { host, port } : undefined
}

/** Whether `header` names this conduit on a loopback name (127.0.0.1, localhost or [::1]) and its port. */
export function isOwnHost(header: string | undefined, port: number): boolean {
  const parsed = parseHost(header)
  return parsed !== undefined && parsed.port === port && LOOPBACK_NAMES.has(parsed.host)
}

/** The origins of this conduit's own pages. */
export function ownOrigins(port: number): Set<string> {
  return new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`])
}

/** Whether the media type of a Content-Type header is application/json (parameters such as charset allowed). */
export function isJson(contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.split(';')[0]!.trim().toLowerCase() === 'application/json'
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const match = header ? /^Bearer ([A-Za-z0-9_-]{16,128})$/.exec(header) : null
  if (!match) return false
  const given = Buffer.from(match[1]!)
  const expected = Buffer.from(token)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/** The checks for one request: method, path and its headers (lower-case names, as node:http gives them). */
export function checkRequest(request: { method: string; path: string; headers: Record<string, string | string[] | undefined> }, options: GuardOptions): Verdict {
  const header = (name: string) => {
    const value = request.headers[name]
    return Array.isArray(value) ? undefined : value // a repeated header is never trusted
  }
  if (!isOwnHost(header('host'), options.port)) return { status: 400, reason: 'the Host header must be 127.0.0.1, localhost or [::1] with this conduit’s port' }
  if (request.method === 'OPTIONS') return { status: 405, reason: 'no cross-origin requests: this conduit answers no preflight' }
  const api = request.path === '/api' || request.path.startsWith('/api/')
  const safe = request.method === 'GET' || request.method === 'HEAD'
  if (!api) return safe ? { status: 200 } : { status: 405, reason: 'only GET and HEAD outside /api/' }
  if (!safe) {
    const origin = header('origin')
    if (origin === undefined || !ownOrigins(options.port).has(origin)) return { status: 403, reason: 'a state-changing request needs this conduit’s own Origin' }
    if (!isJson(header('content-type'))) return { status: 415, reason: 'a state-changing request is application/json' }
  }
  if (!tokenMatches(header('authorization'), options.token)) return { status: 401, reason: 'a bearer token is needed (the one `borg ui` handed the page)' }
  return { status: 200 }
}
