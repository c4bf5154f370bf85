/**
 * The official BIP39 English vectors (trezor/python-mnemonic vectors.json,
 * see test/fixtures/bip39-vectors.json for the exact commit): entropy <->
 * words, the seed with passphrase "TREZOR", and the BIP32 root xprv.
 */
import { readFileSync } from 'node:fs'
import { HDKey } from '@scure/bip32'
import { entropyToMnemonic } from '@scure/bip39'
import { wordlist } from '@scure/bip39/wordlists/english.js'
import { describe, expect, it } from 'vitest'
import { bytesToHex, hexToBytes } from '../../src/core/bytes.js'
import { mnemonicEntropy, mnemonicToSeed, parseMnemonic } from '../../src/core/identity/mnemonic.js'

// Read once at test time; src/ never reads files relative to its own location.
const fixture = JSON.parse(readFileSync(new URL('../fixtures/bip39-vectors.json', import.meta.url), 'utf8')) as {
  passphrase: string
  english: Array<[string, string, string, string]>
}

describe('BIP39 English test vectors', () => {
  it('has all 24 vectors', () => {
    expect(fixture.english).toHaveLength(24)
    expect(fixture.passphrase).toBe('TREZOR')
  })

  describe.each(fixture.english)('%s', (entropy, mnemonic, seed, xprv) => {
    it('words <-> entropy', () => {
      expect(entropyToMnemonic(hexToBytes(entropy), wordlist)).toBe(mnemonic)
      expect(parseMnemonic(mnemonic)).toBe(mnemonic)
      expect(bytesToHex(mnemonicEntropy(mnemonic))).toBe(entropy)
    })

    it('seed with passphrase "TREZOR" and BIP32 root xprv', async () => {
      const bytes = await mnemonicToSeed(mnemonic, fixture.passphrase)
      expect(bytesToHex(bytes)).toBe(seed)
      expect(HDKey.fromMasterSeed(bytes).privateExtendedKey).toBe(xprv)
    })
  })
})
