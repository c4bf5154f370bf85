/**
 * `borg conduit` (docs/conduit.md): a local HTTP server, bound to loopback
 * only, through which a browser page uses borg while the keys stay in this
 * process. Every request passes `checkRequest` (guard.ts) first; no response
 * ever carries a CORS header; the bearer token is never logged. The API is a
 * local API for other programs too (same token).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { randomBytes } from 'node:crypto'
import { BorgError } from '../core/errors.js'
import { utf8 } from '../core/bytes.js'
import type { Logger } from '../core/log.js'
import type { PlainRequest, PlainResponse } from '../core/cell/plain-http.js'
import { plainExchange } from '../core/net/plain-http-node.js'
import { checkRequest } from './guard.js'
import { CONDUIT_PAGE, PAGE_SCRIPT_HASH } from './page.js'

/** Largest JSON body the API reads (an upload part of 512 KiB as base64, with room to spare). */
export const MAX_BODY_BYTES = 1024 * 1024

/** An answer that writes itself (a file's bytes, with Range), instead of JSON. */
export class Streamed {
  constructor(readonly respond: (req: PlainRequest, res: PlainResponse) => Promise<unknown>) {}
}

export interface ConduitApi {
  /** GET /api/<name> handlers, given the query (never a secret: file ids, types). */
  get: Record<string, (query: URLSearchParams) => Promise<unknown>>
  /** POST /api/<name> handlers, given the parsed JSON body. */
  post: Record<string, (body: unknown) => Promise<unknown>>
  /**
   * GET /media/<ticket>: a file for the page's audio and video elements, which cannot send a bearer
   * header; the ticket is a capability the API issued for one file (docs/conduit.md "Media tickets").
   */
  media?: (ticket: string) => Streamed | undefined
}

export interface ConduitOptions {
  /** 0: the OS picks. */
  port: number
  api: ConduitApi
  log: Logger
  /** Default: 32 random bytes, base64url. */
  token?: string
}

export class ConduitServer {
  readonly token: string
  private servers: Server[] = []
  port = 0

  private constructor(private readonly options: ConduitOptions) {
    this.token = options.token ?? randomBytes(32).toString('base64url')
  }

  static async start(options: ConduitOptions): Promise<ConduitServer> {
    const conduit = new ConduitServer(options)
    await conduit.listen()
    return conduit
  }

  /** The page's address with the token in the fragment (never sent to a server, never in a log). */
  get url(): string {
    return `http://127.0.0.1:${this.port}/#t=${this.token}`
  }

  private async listen(): Promise<void> {
    const first = createServer((req, res) => void this.handle(req, res))
    await new Promise<void>((resolve, reject) => {
      first.once('error', reject)
      first.listen(this.options.port, '127.0.0.1', () => resolve())
    })
    this.port = (first.address() as { port: number }).port
    this.servers.push(first)
    // [::1] too, on the same port, where the machine has IPv6 loopback.
    const second = createServer((req, res) => void this.handle(req, res))
    await new Promise<void>((resolve) => {
      second.once('error', () => resolve())
      second.listen(this.port, '::1', () => {
        this.servers.push(second)
        resolve()
      })
    })
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const [path, queryText] = splitTarget(req.url ?? '/')
    const method = req.method ?? 'GET'
    const verdict = checkRequest({ method, path, headers: req.headers }, { port: this.port, token: this.token })
    // The log line names method, path and status only: never a header, a query, a body or a media ticket.
    const logged = path.startsWith('/media/') ? '/media/…' : path
    const done = (status: number) => this.options.log.debug(`conduit: ${method} ${logged} ${status}`)
    if (verdict.status !== 200) {
      done(verdict.status)
      return this.send(res, verdict.status, { error: { code: 'refused', message: verdict.reason } })
    }
    try {
      if (path.startsWith('/media/')) {
        const streamed = this.options.api.media?.(path.slice('/media/'.length))
        if (!streamed) {
          done(404)
          return this.send(res, 404, { error: { code: 'not-found', message: 'no such media ticket (they last 30 minutes)' } })
        }
        return done(await this.stream(req, res, streamed))
      }
      if (!path.startsWith('/api/')) {
        if (path !== '/' && path !== '/index.html') return this.send(res, 404, { error: { code: 'not-found', message: 'no such page' } })
        done(200)
        return this.sendPage(res, method === 'HEAD')
      }
      const name = path.slice('/api/'.length)
      const handler = method === 'POST' ? this.options.api.post[name] : method === 'GET' ? this.options.api.get[name] : undefined
      if (!handler) {
        done(404)
        return this.send(res, 404, { error: { code: 'not-found', message: `no ${method} /api/${name}` } })
      }
      const result = method === 'POST' ? await (handler as (b: unknown) => Promise<unknown>)(await this.readJson(req)) : await (handler as (q: URLSearchParams) => Promise<unknown>)(new URLSearchParams(queryText))
      if (result instanceof Streamed) return done(await this.stream(req, res, result))
      done(200)
      this.send(res, 200, result)
    } catch (error) {
      const e = error instanceof BorgError ? error : new BorgError('internal', (error as Error).message)
      const status = e.code === 'not-found' ? 404 : e.code === 'usage' || e.code === 'invalid-input' || e.code === 'malformed' ? 400 : e.code === 'too-large' ? 413 : e.code === 'refused' ? 409 : e.retryable ? 503 : 500
      done(status)
      if (res.headersSent) res.destroy()
      else this.send(res, status, { error: { code: e.code, message: e.message } })
    }
  }

  private async stream(req: IncomingMessage, res: ServerResponse, streamed: Streamed): Promise<number> {
    for (const [name, value] of Object.entries(this.headers('application/octet-stream'))) res.setHeader(name, value)
    const [plainReq, plainRes] = plainExchange(req, res)
    await streamed.respond(plainReq, plainRes)
    return res.statusCode
  }

  private async readJson(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of req) {
      size += (chunk as Buffer).length
      if (size > MAX_BODY_BYTES) throw new BorgError('too-large', `a request body holds at most ${MAX_BODY_BYTES} bytes`)
      chunks.push(chunk as Buffer)
    }
    try {
      return JSON.parse(utf8.decode(Buffer.concat(chunks)))
    } catch {
      throw new BorgError('malformed', 'the body is not JSON')
    }
  }

  /** Every response: no CORS header, no caching of API answers, no sniffing, no framing by other sites. */
  private headers(type: string): Record<string, string> {
    return { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' }
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    const bytes = utf8.encode(JSON.stringify(body))
    res.writeHead(status, { ...this.headers('application/json'), 'content-length': String(bytes.length) })
    res.end(bytes)
  }

  private sendPage(res: ServerResponse, headOnly: boolean): void {
    const bytes = utf8.encode(CONDUIT_PAGE)
    res.writeHead(200, {
      ...this.headers('text/html; charset=utf-8'),
      'content-length': String(bytes.length),
      // The page runs only its own inline script and talks only to this conduit.
      'content-security-policy': `default-src 'none'; script-src '${PAGE_SCRIPT_HASH}'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; media-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    })
    res.end(headOnly ? undefined : bytes)
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
    for (const s of this.servers) s.closeAllConnections?.()
  }
}

/** Path and query of a request target. */
function splitTarget(target: string): [string, string] {
  const at = target.indexOf('?')
  return at < 0 ? [target, ''] : [target.slice(0, at), target.slice(at + 1)]
}
