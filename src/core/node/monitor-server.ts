/**
 * A cell's monPort: read-only HTTPS (GET only). It serves the node card (so
 * clients pin it like every other borg endpoint), status, the tree as the
 * root sees it, and metrics. It holds no secrets and accepts no control:
 * control goes to the receptor, signed.
 */
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { BorgError } from '../errors.js'
import type { TlsMaterial } from '../net/cert.js'
import { CARD_PATH, ENVELOPE_CONTENT_TYPE } from '../net/http-mapping.js'
import type { Logger } from '../log.js'

export interface MonitorSources {
  card: () => Uint8Array
  status: () => unknown
  tree: () => unknown
  metrics: () => string
}

export class MonitorServer {
  private readonly server: Server

  constructor(tls: TlsMaterial, sources: MonitorSources, log: Logger) {
    this.server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
      try {
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' })
          return void res.end('the monitor port is read-only\n')
        }
        const path = (req.url ?? '/').split('?')[0]
        const json = (value: unknown) => {
          const body = JSON.stringify(value)
          res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
          res.end(req.method === 'HEAD' ? undefined : body)
        }
        if (path === CARD_PATH) {
          const card = sources.card()
          res.writeHead(200, { 'content-type': ENVELOPE_CONTENT_TYPE, 'content-length': card.length })
          return void res.end(card)
        }
        if (path === '/status') return json(sources.status())
        if (path === '/tree') return json(sources.tree())
        if (path === '/metrics') {
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
          return void res.end(sources.metrics())
        }
        res.writeHead(404, { 'content-type': 'text/plain' })
        res.end('borg monitor: GET /status, /tree, /metrics\n')
      } catch (error) {
        log.error(`monitor request ${req.url} failed: ${(error as Error).stack ?? error}`)
        if (!res.headersSent) res.writeHead(500)
        res.end()
      }
    })
  }

  async listen(host: string, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', (error: NodeJS.ErrnoException) =>
        reject(new BorgError('unavailable', `cannot listen on ${host}:${port}: ${error.message}`, { cause: error, details: { host, port } })),
      )
      this.server.listen(port, host, () => resolve())
    })
    return (this.server.address() as AddressInfo).port
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve())
      this.server.closeAllConnections()
    })
  }
}
