import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { BorgError } from '../../src/core/errors.js'
import { cryptoRandom } from '../../src/core/crypto/random.js'
import { sealToBytes } from '../../src/core/envelope/seal.js'
import { EnvelopeVerifier } from '../../src/core/envelope/verifier.js'
import { parseHeader } from '../../src/core/envelope/codec.js'
import { manualClock, testSigner } from '../helpers/keys.js'
import { codeOf } from '../helpers/refusal.js'

const sender = testSigner()
const me = testSigner()
const T0 = 1_700_000_000_000

function setup(options: Partial<ConstructorParameters<typeof EnvelopeVerifier>[0]> = {}) {
  const clock = manualClock(T0)
  const rejects: string[] = []
  const verifier = new EnvelopeVerifier({ localId: me.keyId, clock, onReject: (e) => rejects.push(e.code), ...options })
  return { clock, verifier, rejects }
}

function message(
  overrides: { timestamp?: number; body?: Uint8Array; kind?: string; to?: Parameters<typeof sealToBytes>[1]['to']; id?: Uint8Array; from?: typeof sender } = {},
) {
  return sealToBytes(
    overrides.from ?? sender,
    { kind: overrides.kind ?? 'wire.ping', body: overrides.body, to: overrides.to ?? { type: 'node', id: me.keyId } },
    { timestamp: overrides.timestamp ?? T0, random: cryptoRandom, id: overrides.id },
  )
}

describe('EnvelopeVerifier', () => {
  it('accepts a fresh message once and rejects its replay', () => {
    const { verifier, rejects } = setup()
    const bytes = message()
    expect(verifier.verifyBytes(bytes).senderHex).toHaveLength(66)
    expect(codeOf(() => verifier.verifyBytes(bytes))).toBe('replay')
    expect(verifier.accepted).toBe(1)
    expect(verifier.rejected).toEqual({ replay: 1 })
    expect(rejects).toEqual(['replay'])
  })

  it('applies the ±30 s window at both edges', () => {
    const { verifier } = setup()
    expect(codeOf(() => verifier.verifyBytes(message({ timestamp: T0 - 30_000 })))).toBeUndefined()
    expect(codeOf(() => verifier.verifyBytes(message({ timestamp: T0 + 30_000 })))).toBeUndefined()
    expect(codeOf(() => verifier.verifyBytes(message({ timestamp: T0 - 30_001 })))).toBe('expired')
    expect(codeOf(() => verifier.verifyBytes(message({ timestamp: T0 + 30_001 })))).toBe('from-future')
  })

  it('property: accepted iff inside the window, for any skew', () => {
    const { verifier } = setup()
    fc.assert(
      fc.property(fc.integer({ min: -120_000, max: 120_000 }), (skew) => {
        const code = codeOf(() => verifier.verifyBytes(message({ timestamp: T0 + skew })))
        if (Math.abs(skew) <= 30_000) expect(code).toBeUndefined()
        else expect(code).toBe(skew < 0 ? 'expired' : 'from-future')
      }),
      { numRuns: 60 },
    )
  })

  it('rejects a replay even after the clock moved, until the message expires', () => {
    const { verifier, clock } = setup()
    const bytes = message()
    verifier.verifyBytes(bytes)
    clock.advance(29_000)
    expect(codeOf(() => verifier.verifyBytes(bytes))).toBe('replay')
    clock.advance(2_000)
    expect(codeOf(() => verifier.verifyBytes(bytes))).toBe('expired')
  })

  it('keeps memory bounded and never lets an evicted message back in', () => {
    const { verifier } = setup({ replayCapacity: 10 })
    const sent: Uint8Array[] = []
    for (let i = 0; i < 25; i++) {
      const bytes = message({ timestamp: T0 - 1000 + i })
      sent.push(bytes)
      verifier.verifyBytes(bytes)
    }
    expect(verifier.replay.size).toBeLessThanOrEqual(10)
    for (const bytes of sent) expect(codeOf(() => verifier.verifyBytes(bytes))).toBe('replay')
  })

  it("one sender flooding the replay cache cannot push another sender's fresh messages below a floor", () => {
    const { verifier, clock } = setup({ replayCapacity: 50 })
    const flooder = testSigner()
    // Stamped 25 s ahead (inside the window): under one shared floor this would refuse everyone for 25 s.
    const flood = Array.from({ length: 500 }, (_, i) => message({ from: flooder, timestamp: T0 + 25_000 + i }))
    for (const bytes of flood) expect(codeOf(() => verifier.verifyBytes(bytes))).toBeUndefined()
    expect(verifier.replay.size).toBeLessThanOrEqual(50)
    for (let i = 0; i < 10; i++) {
      expect(codeOf(() => verifier.verifyBytes(message({ timestamp: clock.now() })))).toBeUndefined()
      clock.advance(100)
    }
    // The flooder alone pays: its evicted ids (and anything it stamps as old as them) are below its own floor.
    for (const bytes of flood) expect(codeOf(() => verifier.verifyBytes(bytes))).toBe('replay')
    expect(codeOf(() => verifier.verifyBytes(message({ from: flooder, timestamp: T0 + 25_000 })))).toBe('replay')
  })

  it('refuses oversize bodies from the header alone', () => {
    const { verifier } = setup({ maxBodyBytes: 100 })
    expect(codeOf(() => verifier.verifyBytes(message({ body: new Uint8Array(100) })))).toBeUndefined()
    const big = message({ body: new Uint8Array(101) })
    const parsed = parseHeader(big)
    if (parsed.status !== 'ok') throw new Error('unreachable')
    expect(codeOf(() => verifier.admit(parsed.header, parsed.signedPart))).toBe('too-large')
  })

  it('checks the recipient and tree membership', () => {
    const tree = new Uint8Array(32).fill(9)
    const { verifier } = setup({ acceptTree: (id) => id[0] === 9 })
    expect(codeOf(() => verifier.verifyBytes(message({ to: { type: 'node', id: testSigner().keyId } })))).toBe('wrong-recipient')
    expect(codeOf(() => verifier.verifyBytes(message({ to: { type: 'tree', id: tree } })))).toBeUndefined()
    expect(codeOf(() => verifier.verifyBytes(message({ to: { type: 'tree', id: new Uint8Array(32) } })))).toBe('wrong-recipient')
    expect(codeOf(() => verifier.verifyBytes(message({ to: { type: 'none' } })))).toBeUndefined()
  })

  it('rejects kinds without a handler after authenticating the sender', () => {
    const { verifier } = setup({ acceptKind: (k) => k === 'wire.ping' })
    expect(codeOf(() => verifier.verifyBytes(message({ kind: 'wire.nope' })))).toBe('unknown-kind')
  })

  it('refuses a concurrent copy while the first one is still streaming, and frees the id if it fails', () => {
    const { verifier } = setup()
    const bytes = message({ body: new Uint8Array([1, 2, 3]) })
    const parsed = parseHeader(bytes)
    if (parsed.status !== 'ok') throw new Error('unreachable')
    const first = verifier.admit(parsed.header, parsed.signedPart)
    expect(codeOf(() => verifier.admit(parsed.header, parsed.signedPart))).toBe('replay')
    expect(codeOf(() => verifier.complete(first, new Uint8Array(32)))).toBe('body-hash-mismatch')
    // The tampered copy did not burn the id: the genuine message still gets through.
    expect(codeOf(() => verifier.verifyBytes(bytes))).toBeUndefined()
  })

  it('counts malformed input and never throws anything but BorgError', () => {
    const { verifier } = setup()
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const code = codeOf(() => verifier.verifyBytes(bytes))
        expect(code).toBeDefined()
      }),
      { numRuns: 300 },
    )
    expect(verifier.rejected.malformed).toBeGreaterThan(250)
  })
})
