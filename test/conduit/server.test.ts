/**
 * The conduit server over real HTTP on loopback (src/conduit/conduit-server.ts):
 * the page loads with its Host, the API needs the token, rebinding hosts and
 * cross-site requests are refused before any handler runs (no state change),
 * no response carries a CORS header, and the token is in no log line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { request as httpRequest } from 'node:http'
import { ConduitServer, Streamed } from '../../src/conduit/conduit-server.js'
import type { Logger } from '../../src/core/log.js'

const lines: string[] = []
const log: Logger = { debug: (m: string) => lines.push(m), info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) } as unknown as Logger
let conduit: ConduitServer
const posted: unknown[] = []

beforeAll(async () => {
  conduit = await ConduitServer.start({
    port: 0,
    log,
    api: {
      get: {
        hello: async () => ({ hello: 'page' }),
        echo: async (query) => ({ id: query.get('id') }),
        bytes: async () => new Streamed(async (_req, res) => {
          res.head(200, { 'content-type': 'application/octet-stream', 'content-length': 3 })
          await res.write(new Uint8Array([1, 2, 3]))
          res.end()
        }),
      },
      post: { note: async (body) => (posted.push(body), { stored: true }) },
      media: (ticket) => (ticket === 'secret-ticket-123' ? new Streamed(async (_req, res) => {
        res.head(200, { 'content-type': 'audio/wav', 'content-length': 2 })
        await res.write(new Uint8Array([9, 9]))
        res.end()
      }) : undefined),
    },
  })
})
afterAll(async () => conduit?.close())

function send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: conduit.port, method, path, headers, setHost: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

describe('the conduit server', () => {
  it('serves its page to its own Host, with a CSP that admits its one script, and the API with the token', async () => {
    const host = `127.0.0.1:${conduit.port}`
    const page = await send('GET', '/', { host })
    expect(page.status).toBe(200)
    expect(page.body).toContain('<title>borg</title>')
    expect(String(page.headers['content-security-policy'])).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/)
    const api = await send('GET', '/api/hello', { host, authorization: `Bearer ${conduit.token}` })
    expect([api.status, JSON.parse(api.body)]).toEqual([200, { hello: 'page' }])
    const ok = await send('POST', '/api/note', { host, origin: `http://${host}`, 'content-type': 'application/json', authorization: `Bearer ${conduit.token}` }, '{"n":1}')
    expect(ok.status).toBe(200)
    expect(posted).toEqual([{ n: 1 }])
    expect(conduit.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${conduit.port}/#t=[A-Za-z0-9_-]{43}$`))
  })

  it('refuses rebinding hosts, cross-site posts, forms, text/plain and missing tokens before any handler, without CORS headers', async () => {
    const host = `127.0.0.1:${conduit.port}`
    const before = posted.length
    const attempts: [string, string, Record<string, string>, string | undefined, number][] = [
      ['GET', '/', { host: `evil.test:${conduit.port}` }, undefined, 400],
      ['GET', '/api/hello', { host: `127.0.0.1.evil.test:${conduit.port}`, authorization: `Bearer ${conduit.token}` }, undefined, 400],
      ['POST', '/api/note', { host, origin: 'http://127.0.0.2:9999', 'content-type': 'text/plain' }, '{"n":2}', 403],
      ['POST', '/api/note', { host, origin: `http://${host}`, 'content-type': 'text/plain', authorization: `Bearer ${conduit.token}` }, '{"n":3}', 415],
      ['POST', '/api/note', { host, origin: `http://${host}`, 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${conduit.token}` }, 'n=4', 415],
      ['POST', '/api/note', { host, origin: `http://${host}`, 'content-type': 'application/json' }, '{"n":5}', 401],
      ['POST', '/api/note', { host, origin: `http://${host}`, 'content-type': 'application/json', authorization: 'Bearer wrongwrongwrongwrong' }, '{"n":6}', 401],
      ['OPTIONS', '/api/note', { host, origin: 'http://evil.test', 'access-control-request-method': 'POST' }, undefined, 405],
    ]
    for (const [method, path, headers, body, status] of attempts) {
      const r = await send(method, path, headers, body)
      expect([method, path, headers.host, r.status]).toEqual([method, path, headers.host, status])
      expect(Object.keys(r.headers).filter((h) => h.startsWith('access-control-'))).toEqual([])
    }
    expect(posted.length).toBe(before)
  })

  it('hands GET handlers their query, streams answers that write themselves, and serves media by ticket without the token', async () => {
    const host = `127.0.0.1:${conduit.port}`
    const auth = { host, authorization: `Bearer ${conduit.token}` }
    expect(JSON.parse((await send('GET', '/api/echo?id=abc', auth)).body)).toEqual({ id: 'abc' })
    const bytes = await send('GET', '/api/bytes', auth)
    expect([bytes.status, bytes.headers['content-type'], bytes.headers['cache-control'], Buffer.from(bytes.body, 'latin1').length]).toEqual([200, 'application/octet-stream', 'no-store', 3])
    expect((await send('GET', '/api/bytes', { host })).status).toBe(401)
    const media = await send('GET', '/media/secret-ticket-123', { host })
    expect([media.status, media.headers['content-type']]).toEqual([200, 'audio/wav'])
    expect((await send('GET', '/media/guessed', { host })).status).toBe(404)
    expect((await send('POST', '/media/secret-ticket-123', { host, origin: `http://${host}`, 'content-type': 'application/json' }, '{}')).status).toBe(405)
    expect((await send('GET', '/media/secret-ticket-123', { host: `evil.test:${conduit.port}` })).status).toBe(400)
    expect(lines.some((l) => l.includes('secret-ticket'))).toBe(false)
    expect(lines).toContain('conduit: GET /media/… 200')
  })

  it('writes no token, header or body into its log', async () => {
    expect(lines.length).toBeGreaterThan(5)
    for (const line of lines) {
      expect(line).not.toContain(conduit.token)
      expect(line).not.toMatch(/authorization|Bearer|"n"/i)
    }
  })
})
