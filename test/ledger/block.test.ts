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
import { authorize, spendingSignerOf } from '../../src/core/ledger/spending-key.js'
import { signerFromSecretKey } from '../../src/core/identity/signer.js'
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
    const v1 = Uint8Array.from(bytes)
    v1[4] = 1
    expect(code(() => decodeBlock(v1))).toBe('unsupported-version')
  })
})

describe('blocks signed by a spending key', () => {
  const secret = sha256(new TextEncoder().encode('a spending key test identity'))
  const identity = signerFromSecretKey(secret)
  const spendingKey = spendingSignerOf(secret)
  const mine = (overrides: Partial<UnsignedBlock> = {}) => send({ account: identity.keyId, ...overrides })

  it('is derived from the identity secret (HKDF-SHA256): the 24 words restore it', () => {
    expect(bytesToHex(spendingSignerOf(secret).keyId)).toBe(bytesToHex(spendingKey.keyId))
    expect(spendingKey.keyId[0]).toBe(0xed)
    expect(bytesToHex(spendingSignerOf(sha256(secret)).keyId)).not.toBe(bytesToHex(spendingKey.keyId))
  })

  it('decode when the identity authorized the key on this network, and round-trip', () => {
    const spending = authorize(identity, network, spendingKey)
    const signed = signBlock(mine({ spending }), spendingKey)
    const decoded = decodeBlock(signed.bytes)
    expect(decoded.id).toEqual(signed.id)
    expect(decoded.block.spending).toEqual(spending)
    expect(bytesToHex(encodeUnsigned(decoded.block))).toBe(bytesToHex(signed.bytes.subarray(0, signed.bytes.length - 64)))
    // 98 bytes more than the same block signed by the identity: marker, key id, authorization.
    expect(signed.bytes.length - signBlock(mine(), identity).bytes.length).toBe(33 + 64)
  })

  it('refuse an authorization by another identity, for another network or another key, and a signature by the identity', () => {
    const stranger = testSigner('secp256k1')
    const cases: [string, () => unknown][] = [
      ['another identity authorized it', () => decodeBlock(signBlock(mine({ spending: { key: spendingKey.keyId, authorization: authorize(stranger, network, spendingKey).authorization } }), spendingKey).bytes)],
      ['authorized on another network', () => decodeBlock(signBlock(mine({ spending: authorize(identity, sha256(Uint8Array.of(9)), spendingKey) }), spendingKey).bytes)],
      ['another key authorized', () => {
        const other = spendingSignerOf(sha256(secret))
        return decodeBlock(signBlock(mine({ spending: { key: other.keyId, authorization: authorize(identity, network, spendingKey).authorization } }), other).bytes)
      }],
    ]
    for (const [what, f] of cases) expect([what, code(f)]).toEqual([what, 'bad-signature'])
    // Signed by the identity while naming the spending key: the spending key must sign.
    expect(code(() => signBlock(mine({ spending: authorize(identity, network, spendingKey) }), identity))).toBe('invalid-input')
    const signed = signBlock(mine({ spending: authorize(identity, network, spendingKey) }), spendingKey)
    const forged = Uint8Array.from(signed.bytes)
    forged.set(identity.sign(signed.bytes.subarray(0, signed.bytes.length - 64)), signed.bytes.length - 64)
    expect(code(() => decodeBlock(forged))).toBe('bad-signature')
  })

  it('refuse a spending key that is not Ed25519, one for a key-only (non-identity) account, and an unknown signer byte', () => {
    const secpKey = testSigner('secp256k1')
    expect(code(() => signBlock(mine({ spending: { key: secpKey.keyId, authorization: new Uint8Array(64) } }), secpKey))).toBe('malformed')
    const edAccount = testSigner('ed25519')
    const nodeStyle = signBlock(send({ account: edAccount.keyId, spending: authorize(edAccount, network, spendingKey) }), spendingKey)
    expect(code(() => decodeBlock(nodeStyle.bytes))).toBe('bad-signature')
    const plain = signBlock(mine(), identity)
    const marker = plain.bytes.length - 65
    expect(plain.bytes[marker]).toBe(0)
    const unknown = Uint8Array.from(plain.bytes)
    unknown[marker] = 2
    expect(code(() => decodeBlock(unknown))).toBe('malformed')
  })
})
