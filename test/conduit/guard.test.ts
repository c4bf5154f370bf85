/** The conduit's request checks (src/conduit/guard.ts): Host, Origin, Content-Type, bearer token, no preflight. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkRequest, isJson, isOwnHost, parseHost } from '../../src/conduit/guard.js'

const PORT = 8123
const TOKEN = 'A'.repeat(43)
const good = { host: `127.0.0.1:${PORT}`, origin: `http://127.0.0.1:${PORT}`, 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }
const check = (method: string, path: string, headers: Record<string, string | string[] | undefined>) => checkRequest({ method, path, headers }, { port: PORT, token: TOKEN }).status

describe('the conduit guard', () => {
  it('takes exactly the loopback names with its port as Host, parsed, not prefix-matched', () => {
    for (const host of [`127.0.0.1:${PORT}`, `localhost:${PORT}`, `LOCALHOST:${PORT}`, `[::1]:${PORT}`]) expect([host, isOwnHost(host, PORT)]).toEqual([host, true])
    for (const host of [`127.0.0.1.evil.test:${PORT}`, `evil.test:${PORT}`, `127.0.0.1:${PORT + 1}`, '127.0.0.1', `127.0.0.2:${PORT}`, `localhost.:${PORT}`, `[::ffff:127.0.0.1]:${PORT}`, `127.0.0.1:${PORT}@evil.test`, ` 127.0.0.1:${PORT}`, `[::1]:${PORT}x`, '', `0x7f000001:${PORT}`, `2130706433:${PORT}`]) {
      expect([host, isOwnHost(host, PORT)]).toEqual([host, false])
    }
    expect(parseHost('[::1]:99999')).toBeUndefined()
  })

  it('lets any Host-checked GET of a page through, and nothing else without the rules (property over headers)', () => {
    fc.assert(
      fc.property(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH'), fc.constantFrom('/', '/api/identity', '/api/records', '/x'), fc.record({ host: fc.option(fc.string(), { nil: undefined }), origin: fc.option(fc.string(), { nil: undefined }), 'content-type': fc.option(fc.string(), { nil: undefined }), authorization: fc.option(fc.string(), { nil: undefined }) }), (method, path, headers) => {
        const status = check(method, path, headers)
        // Random headers never pass an API request (the token is not guessable).
        if (path.startsWith('/api/')) expect(status).not.toBe(200)
      }),
    )
  })

  it('refuses a state change without its own Origin (403), without JSON (415), without the token (401); no preflight (405)', () => {
    expect(check('POST', '/api/records', good)).toBe(200)
    expect(check('GET', '/api/identity', { host: good.host, authorization: good.authorization })).toBe(200)
    expect(check('POST', '/api/records', { ...good, host: `evil.test:${PORT}` })).toBe(400)
    expect(check('POST', '/api/records', { ...good, origin: 'http://evil.test' })).toBe(403)
    expect(check('POST', '/api/records', { ...good, origin: undefined })).toBe(403)
    expect(check('POST', '/api/records', { ...good, origin: `http://127.0.0.2:${PORT}` })).toBe(403)
    expect(check('POST', '/api/records', { ...good, 'content-type': 'text/plain' })).toBe(415)
    expect(check('POST', '/api/records', { ...good, 'content-type': 'application/x-www-form-urlencoded' })).toBe(415)
    expect(check('POST', '/api/records', { ...good, 'content-type': 'multipart/form-data; boundary=x' })).toBe(415)
    expect(check('POST', '/api/records', { ...good, authorization: undefined })).toBe(401)
    expect(check('POST', '/api/records', { ...good, authorization: `Bearer ${'B'.repeat(43)}` })).toBe(401)
    expect(check('POST', '/api/records', { ...good, authorization: TOKEN })).toBe(401)
    expect(check('GET', '/api/identity', { host: good.host })).toBe(401)
    expect(check('OPTIONS', '/api/records', good)).toBe(405)
    expect(check('POST', '/', good)).toBe(405)
    expect(check('GET', '/', { host: good.host })).toBe(200)
    // A repeated header is never trusted.
    expect(check('POST', '/api/records', { ...good, origin: [good.origin, good.origin] })).toBe(403)
  })

  it('reads the media type of Content-Type, parameters allowed', () => {
    expect(isJson('application/json; charset=utf-8')).toBe(true)
    expect(isJson('Application/JSON')).toBe(true)
    expect(isJson('application/json-seq')).toBe(false)
    expect(isJson('text/plain; application/json')).toBe(false)
  })
})
