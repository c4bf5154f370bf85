/**
 * Published Dogecoin vectors, so the version bytes, coin type and path are
 * checked against other implementations, not against ourselves.
 */
import { HDKey } from '@scure/bip32'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { describe, expect, it } from 'vitest'
import { bytesToHex, hexToBytes } from '../../src/core/bytes.js'
import { hash160 } from '../../src/core/crypto/hash.js'
import { publicKeyOf } from '../../src/core/crypto/secp256k1.js'
import { BorgError } from '../../src/core/errors.js'
import { MAINNET, TESTNET, decodeWif, encodeWif, p2pkhAddress, parseAddress } from '../../src/core/identity/address.js'
import { IDENTITY_PATH, deriveIdentityKey } from '../../src/core/identity/derive.js'
import { mnemonicToSeed } from '../../src/core/identity/mnemonic.js'
import { ABANDON_ABOUT } from './fake-input.js'

describe("BIP44 m/44'/3'/0'/0/0 for the BIP39 test words", () => {
  // Source: EdgeApp/edge-currency-plugins,
  // test/common/utxobased/keymanager/coins/dogecoin.spec.ts (commit 022bc63f8053a51a06a314f0d181e264653e15e5),
  // "cross verified using ian colemans bip32 website": for "abandon x11 about" with no passphrase,
  // account m/44'/3'/0' is dgpv57bftCH9..., its first receive address is DBus3bamQjgJULBJtYXpEzDWQRwF5iwxgC
  // with scriptPubKey 76a914 4a483568665dcdfa68dd58a1f62893448a643339 88ac. Ledger Live uses the same
  // address for Dogecoin (LedgerHQ/ledger-live libs/coin-modules/coin-bitcoin/src/constants.ts).
  const ACCOUNT_DGPV =
    'dgpv57bftCH9z6cEAdAY9SCDV9NfVsygaQWdi5LuCXdumz5qUPWnw1S3YBM7PdHXMvA8oSGS6Pbes1xEHMd5Zi2qHVK45y5FKKXzBXsZcTtYmX5'
  const ADDRESS = 'DBus3bamQjgJULBJtYXpEzDWQRwF5iwxgC'
  const HASH160 = '4a483568665dcdfa68dd58a1f62893448a643339'

  it('derives the published address', async () => {
    const key = deriveIdentityKey(await mnemonicToSeed(ABANDON_ABOUT, ''))
    expect(key.path).toBe(IDENTITY_PATH)
    expect(IDENTITY_PATH).toBe("m/44'/3'/0'/0/0")
    expect(key.address).toBe(ADDRESS)
    expect(bytesToHex(hash160(key.publicKey))).toBe(HASH160)
    expect(key.publicKey).toHaveLength(33)
    expect(bytesToHex(publicKeyOf(key.secretKey))).toBe(bytesToHex(key.publicKey))
  })

  it('matches the published account extended key (Dogecoin dgpv version bytes)', async () => {
    const seed = await mnemonicToSeed(ABANDON_ABOUT, '')
    const root = HDKey.fromMasterSeed(seed, { private: 0x02fac398, public: 0x02facafd })
    expect(root.derive("m/44'/3'/0'").privateExtendedKey).toBe(ACCOUNT_DGPV)
  })

  it('a BIP39 passphrase gives a different identity', async () => {
    const key = deriveIdentityKey(await mnemonicToSeed(ABANDON_ABOUT, 'TREZOR'))
    expect(key.address).not.toBe(ADDRESS)
    expect(key.address.startsWith('D')).toBe(true)
  })
})

describe('WIF and address pairs from Dogecoin Core', () => {
  // Source: dogecoin/dogecoin src/test/key_tests.cpp (commit 0ed0dff350f9505678ed3b0a406fdf5b1e46c2f2):
  // strSecret1/strSecret1C and strSecret2/strSecret2C with addr1, addr1C, addr2, addr2C.
  const PAIRS = [
    { wif: '6JFPe8b4jbpup7petSB98M8tcaqXCigji8fGrC8bEbbDQxQkQ68', compressed: false, address: 'DSpgzjPyfQB6ZzeSbMWpaZiTTxGf2oBCs4' },
    { wif: '6KLE6U3w8x3rM7nA1ZQxR4KnyEzeirPEt4YaXWdY4roF7Tt96rq', compressed: false, address: 'DR9VqfbWgEHZhNst34KQnABQXpPWXeLAJD' },
    { wif: 'QP8WvtVMV2iU6y7LE27ksRspp4MAJizPWYovx88W71g1nfSdAhkV', compressed: true, address: 'D8jZ6R8uuyQwiybupiVs3eDCedKdZ5bYV3' },
    { wif: 'QTuro8Pwx5yaonvJmU4jbBfwuEmTViyAGNeNyfnG82o7HWJmnrLj', compressed: true, address: 'DP7rGcDbpAvMb1dKup981zNt1heWUuVLP7' },
  ]

  it.each(PAIRS)('$wif -> $address', ({ wif, compressed, address }) => {
    const parsed = decodeWif(wif)
    expect(parsed.network).toBe(MAINNET)
    expect(parsed.compressed).toBe(compressed)
    expect(encodeWif(parsed.secretKey, MAINNET, compressed)).toBe(wif)
    const publicKey = secp256k1.getPublicKey(parsed.secretKey, compressed)
    expect(p2pkhAddress(publicKey, MAINNET)).toBe(address)
    expect(parseAddress(address, MAINNET).network).toBe(MAINNET)
  })

  it('rejects strAddressBad (checksum)', () => {
    expect(() => parseAddress('DRjyUS2uuieEPkhZNdQz8hE5YycxVEqSXA')).toThrow(/checksum/)
  })

  // Source: dogecoin/dogecoin src/test/data/base58_keys_valid.json (commit 0c5e185408c70ec39d913075cba16724a608ac24).
  it.each([
    ['DD4KSSuBJqcjuTcvUg1CgUKeurPUFeEZkE', '56d9b1d684d5abef32134ebc6883d75d3a53e9be', MAINNET],
    ['DBjW6kna7rUPE4Mj9j4B3oK3xVA1SDHrdt', '485290865b407657e0aedbdbb4aa6618310af50d', MAINNET],
    ['nhRsrUaxZou6sewjqaS37cJrMRJRgwVXdk', '9131c29384f000c0d651660eefaf1717c8ca1855', TESTNET],
    ['ngbSgr1dhCqsLg6Z5tpsaCspwrH72x2Zk3', '8808c94daaa2e4f53102703b2c3de534d670e87e', TESTNET],
  ] as const)('P2PKH %s', (address, hash, network) => {
    const parsed = parseAddress(address)
    expect(parsed.network).toBe(network)
    expect(bytesToHex(parsed.hash160)).toBe(hash)
  })

  it.each([
    ['6K7a8wZW8A1oZxNd7wZz8PhgAAaDxybkzNpD1sGVvmSaBmc3Hg2', '81517fd848ebfeda7e2c684e7a3f5ebbb28b15d52d33d8a201d8873a0cdaf761', MAINNET],
    ['96MAePnF8ppQm8165ABvzSEShnNy3vgxjmMhcqEkQVZ9FtPV2XL', '73423bf1fa6526ee571f3b4b4ad19799c81d40ce5c18a37d87dc38b55746627d', TESTNET],
  ] as const)('uncompressed WIF %s', (wif, secret, network) => {
    const parsed = decodeWif(wif)
    expect(parsed.network).toBe(network)
    expect(parsed.compressed).toBe(false)
    expect(bytesToHex(parsed.secretKey)).toBe(secret)
    expect(encodeWif(hexToBytes(secret), network, false)).toBe(wif)
  })

  it('rejects the P2SH address from the same file as not a key address', () => {
    const error = (() => {
      try {
        parseAddress('A7HRQk3GFCW2QasvdZxXuYj8kkQK5QrYLs')
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(BorgError)
    expect((error as BorgError).code).toBe('invalid-input')
    expect((error as BorgError).message).toMatch(/P2SH/)
  })
})
