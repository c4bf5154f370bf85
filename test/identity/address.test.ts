import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { generateKeyPair } from '../../src/core/crypto/secp256k1.js'
import { BorgError } from '../../src/core/errors.js'
import {
  KNOWN_NETWORKS,
  MAINNET,
  REGTEST,
  TESTNET,
  addressFromHash160,
  isValidAddress,
  p2pkhAddress,
  parseAddress,
  regtestNetwork,
} from '../../src/core/identity/address.js'

function errorOf(fn: () => unknown): BorgError {
  try {
    fn()
  } catch (error) {
    if (error instanceof BorgError) return error
    throw error
  }
  throw new Error('expected a BorgError')
}

describe('networks', () => {
  it('uses the Dogecoin Core version bytes', () => {
    expect(MAINNET).toMatchObject({ p2pkh: 0x1e, wif: 0x9e })
    expect(TESTNET).toMatchObject({ p2pkh: 0x71, wif: 0xf1 })
    expect(REGTEST).toMatchObject({ p2pkh: 0x6f, wif: 0xef }) // dogecoin 1.14 regtest (Bitcoin's values)
  })

  it('regtest prefixes are configurable, both values in the wild work', () => {
    const hash = new Uint8Array(20).fill(7)
    for (const p2pkh of [0x6f, 0x71]) {
      const network = regtestNetwork({ p2pkh, wif: p2pkh === 0x71 ? 0xf1 : 0xef })
      const address = addressFromHash160(hash, network)
      expect(parseAddress(address, network).hash160).toEqual(hash)
    }
    expect(() => regtestNetwork({ p2pkh: 256 })).toThrow(RangeError)
  })

  it('mainnet addresses start with D, testnet with n', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (hash) => {
        expect(addressFromHash160(hash, MAINNET)[0]).toBe('D')
        expect(addressFromHash160(hash, TESTNET)).toMatch(/^n/)
      }),
    )
  })
})

describe('parseAddress', () => {
  it('round-trips every known network', () => {
    for (const network of KNOWN_NETWORKS) {
      const { publicKey } = generateKeyPair()
      const address = p2pkhAddress(publicKey, network)
      const parsed = parseAddress(address, network)
      expect(parsed.network).toBe(network)
      expect(isValidAddress(address, network)).toBe(true)
    }
  })

  it('any single-character change is rejected, never accepted or crashing', () => {
    const address = p2pkhAddress(generateKeyPair().publicKey)
    const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
    fc.assert(
      fc.property(fc.nat({ max: address.length - 1 }), fc.constantFrom(...alphabet), (i, ch) => {
        fc.pre(address[i] !== ch)
        const mutated = address.slice(0, i) + ch + address.slice(i + 1)
        expect(isValidAddress(mutated, MAINNET)).toBe(false)
      }),
    )
  })

  it('says what is wrong', () => {
    const address = p2pkhAddress(generateKeyPair().publicKey)
    expect(errorOf(() => parseAddress(`${address.slice(0, -1)}${address.endsWith('z') ? 'y' : 'z'}`)).message).toMatch(/checksum/)
    expect(errorOf(() => parseAddress('D0OIl')).code).toBe('invalid-input')
    expect(errorOf(() => parseAddress('D0OIl')).message).toMatch(/not base58/)
    expect(errorOf(() => parseAddress(address, TESTNET)).message).toMatch(/is a mainnet address; expected a testnet/)
    expect(errorOf(() => parseAddress('1BoatSLRHtKNngkdXEeobR76b53LETtpyT')).message).toMatch(/Bitcoin/)
  })
})
