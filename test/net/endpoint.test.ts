import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { BorgError } from '../../src/core/errors.js'
import { endpointKey, formatEndpoint, parseEndpoint } from '../../src/core/net/endpoint.js'

describe('endpoints', () => {
  it('round-trip host:port for names, IPv4 and bracketed IPv6', () => {
    const host = fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.domain(),
    )
    fc.assert(
      fc.property(host, fc.integer({ min: 1, max: 65535 }), (h, port) => {
        const text = formatEndpoint({ host: h, port })
        expect(parseEndpoint(text)).toEqual({ host: h, port })
        expect(endpointKey(h.includes(':') ? `[${h}]` : h, String(port))).toBe(text)
      }),
    )
  })

  it('refuse anything else with a usage error, never a crash', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          const parsed = parseEndpoint(text)
          expect(parsed.port).toBeGreaterThanOrEqual(1)
          expect(parsed.port).toBeLessThanOrEqual(65535)
        } catch (error) {
          expect(error).toBeInstanceOf(BorgError)
          expect((error as BorgError).code).toBe('usage')
        }
      }),
      { numRuns: 500 },
    )
    for (const bad of ['', 'host', 'host:', ':80', 'host:0', 'host:65536', '::1:80', 'a b:1', 'https://x:1']) {
      expect(() => parseEndpoint(bad)).toThrow(BorgError)
    }
  })
})
