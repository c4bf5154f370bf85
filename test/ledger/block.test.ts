/**
 * The ledger block codec (src/core/ledger/block.ts) and amounts: exact
 * decimal parsing, strict decoding, one encoding per block, and the owner's
 * signature over everything but itself.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { BorgError } from '../../src/core/errors.js'
import { bytesToHex } from '../../src/core/bytes.js'
import { sha256 } from '../../src/core/crypto/hash.js'
import { parseAddress } from '../../src/core/identity/address.js'
import { BASE_UNITS_PER_SHELL, TOTAL_SUPPLY, formatShells, parseShells } from '../../src/core/ledger/amount.js'
import { decodeBlock, encodeUnsigned, signBlock, type UnsignedBlock } from '../../src/core/ledger/block.js'
import { testSigner } from '../helpers/keys.js'

const code = (f: () => unknown) => {
  try {
    f()
  } catch (e) {
    return (e as BorgError).code
  }
  return 'no error'
}

describe('Shell amounts', () => {
  it('parse decimal text exactly into base units and print back without trailing zeros', () => {
    expect(parseShells('12.5')).toBe(12_500_000_000n)
    expect(parseShells('0.000000001')).toBe(1n)
    expect(parseShells('20000000')).toBe(TOTAL_SUPPLY)
    expect(formatShells(12_500_000_000n)).toBe('12.5')
    expect(formatShells(1n)).toBe('0.000000001')
    expect(formatShells(TOTAL_SUPPLY)).toBe('20000000')
  })

  it('refuse 10 decimals, signs, exponents, separators, and more than the supply', () => {
    for (const bad of ['0.0000000001', '-1', '+1', '1e3', '1,000', '1 000', '.5', '5.', '', 'NaN', '20000000.000000001', '99999999999999999999']) {
      expect([bad, code(() => parseShells(bad))]).toEqual([bad, 'invalid-input'])
    }
  })

  it('round-trip every amount up to the supply (property)', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: TOTAL_SUPPLY }), (units) => parseShells(formatShells(units)) === units))
  })
})

const owner = testSigner('secp256k1')
const rep = testSigner('ed25519')
const network = sha256(new TextEncoder().encode('a test network'))
const destination = parseAddress('DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L')

function send(overrides: Partial<UnsignedBlock> = {}): UnsignedBlock {
  return {
    network,
    account: owner.keyId,
    height: 3n,
    previous: sha256(new TextEncoder().encode('the block before')),
    balance: 7n * BASE_UNITS_PER_SHELL,
    representative: rep.keyId,
    timestamp: 1_700_000_000_000,
    op: 'send',
    destination: Uint8Array.of(destination.network.p2pkh, ...destination.hash160),
    amount: 5n * BASE_UNITS_PER_SHELL,
    memo: 'rent, december',
    ...overrides,
  } as UnsignedBlock
}

describe('ledger blocks', () => {
  it('round-trip every operation; the id is SHA-256 of the bytes before the signature', () => {
    const blocks: UnsignedBlock[] = [
      send(),
      { ...send(), op: 'receive', source: sha256(Uint8Array.of(1)), amount: 3n } as UnsignedBlock,
      { ...send(), op: 'delegate' } as UnsignedBlock,
      { ...send(), op: 'open', height: 0n, previous: new Uint8Array(32), source: sha256(Uint8Array.of(2)), amount: 7n * BASE_UNITS_PER_SHELL } as UnsignedBlock,
    ]
    for (const b of blocks) {
      const signed = signBlock(b, owner)
      const decoded = decodeBlock(signed.bytes)
      expect(bytesToHex(decoded.id)).toBe(bytesToHex(signed.id))
      expect(decoded.id).toEqual(sha256(encodeUnsigned(b)))
      expect(decoded.block.op).toBe(b.op)
      expect(decoded.block.balance).toBe(b.balance)
    }
  })

  it('is refused when any byte changes, or one is added or removed (property)', () => {
    const { bytes } = signBlock(send(), owner)
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const changed = Uint8Array.from(bytes)
        changed[at]! ^= xor
        return ['malformed', 'bad-signature', 'unsupported-version'].includes(code(() => decodeBlock(changed)))
      }),
    )
    expect(code(() => decodeBlock(Uint8Array.from([...bytes, 0])))).toBe('malformed')
    expect(code(() => decodeBlock(bytes.subarray(0, bytes.length - 1)))).toBe('malformed')
  })

  it('has one encoding: decoding and encoding again gives the same bytes (property over fields)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 2n ** 40n }),
        fc.bigInt({ min: 0n, max: TOTAL_SUPPLY }),
        fc.bigInt({ min: 1n, max: TOTAL_SUPPLY }),
        fc.string({ maxLength: 30 }),
        fc.integer({ min: 0, max: 2 ** 50 }),
        (height, balance, amount, memo, timestamp) => {
          const signed = signBlock(send({ height, balance, amount, memo, timestamp } as Partial<UnsignedBlock>), owner)
          return bytesToHex(encodeUnsigned(decodeBlock(signed.bytes).block)) === bytesToHex(signed.bytes.subarray(0, signed.bytes.length - 64))
        },
      ),
      { numRuns: 50 },
    )
  })

  it('refuses what no chain may hold, before signing and when decoding', () => {
    const cases: [string, Partial<UnsignedBlock>][] = [
      ['an open block above height 0', { op: 'open', source: new Uint8Array(32), amount: 1n } as Partial<UnsignedBlock>],
      ['a block at height 0 that is not an open', { height: 0n, previous: new Uint8Array(32) }],
      ['a send of nothing', { amount: 0n } as Partial<UnsignedBlock>],
      ['a send of more than the supply', { amount: TOTAL_SUPPLY + 1n } as Partial<UnsignedBlock>],
      ['a balance above the supply', { balance: TOTAL_SUPPLY + 1n }],
      ['a negative balance', { balance: -1n }],
      ['a memo of 121 bytes', { memo: 'x'.repeat(121) } as Partial<UnsignedBlock>],
      ['a short destination', { destination: new Uint8Array(20) } as Partial<UnsignedBlock>],
      ['a receive of no send', { op: 'receive', source: new Uint8Array(32), amount: 1n } as Partial<UnsignedBlock>],
      ['an invalid representative', { representative: Uint8Array.of(0xed, ...new Uint8Array(31)) }],
    ]
    for (const [what, change] of cases) expect([what, code(() => signBlock(send(change), owner))]).toEqual([what, 'malformed'])
  })

  it('is signed by its account only, and the reserved operations are refused', () => {
    expect(code(() => signBlock(send(), testSigner('secp256k1')))).toBe('invalid-input')
    const { bytes } = signBlock(send(), owner)
    const lock = Uint8Array.from(bytes)
    lock[5] = 5
    expect(code(() => decodeBlock(lock))).toBe('malformed')
    const v2 = Uint8Array.from(bytes)
    v2[4] = 2
    expect(code(() => decodeBlock(v2))).toBe('unsupported-version')
  })
})
