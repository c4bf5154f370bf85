import fc from 'fast-check'
import { entropyToMnemonic } from '@scure/bip39'
import { wordlist } from '@scure/bip39/wordlists/english.js'
import { describe, expect, it } from 'vitest'
import { BorgError } from '../../src/core/errors.js'
import {
  editDistance,
  generateMnemonic,
  mnemonicEntropy,
  normalizeMnemonic,
  parseMnemonic,
  suggestWords,
} from '../../src/core/identity/mnemonic.js'
import { ABANDON_ABOUT } from './fake-input.js'

function failure(text: string): BorgError {
  try {
    parseMnemonic(text)
  } catch (error) {
    if (error instanceof BorgError) return error
    throw error
  }
  throw new Error(`expected "${text}" to be rejected`)
}

const entropyArb = fc.constantFrom(16, 20, 24, 28, 32).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }))

describe('generateMnemonic', () => {
  it('gives 24 valid words (256-bit entropy)', () => {
    const mnemonic = generateMnemonic()
    expect(mnemonic.split(' ')).toHaveLength(24)
    expect(mnemonicEntropy(mnemonic)).toHaveLength(32)
    expect(generateMnemonic()).not.toBe(mnemonic)
  })
})

describe('normalizeMnemonic', () => {
  it('accepts upper case, extra whitespace, commas and the numbers `id new` prints', () => {
    const messy = `  ${ABANDON_ABOUT.toUpperCase().replaceAll(' ', ' \t\n ')}  `
    expect(parseMnemonic(messy)).toBe(ABANDON_ABOUT)
    expect(parseMnemonic(ABANDON_ABOUT.replaceAll(' ', ', '))).toBe(ABANDON_ABOUT)
    const numbered = ABANDON_ABOUT.split(' ').map((w, i) => `${i + 1}. ${w}`).join('  ')
    expect(parseMnemonic(numbered)).toBe(ABANDON_ABOUT)
  })

  it('applies NFKD (full-width letters fold to ASCII)', () => {
    expect(normalizeMnemonic('ａｂａｎｄｏｎ')).toBe('abandon')
    expect(normalizeMnemonic('abandon\u3000about')).toBe('abandon about')
  })
})

describe('parseMnemonic errors', () => {
  it('names the unknown word, its position and suggestions', () => {
    const words = ABANDON_ABOUT.split(' ')
    words[2] = 'abandn'
    const error = failure(words.join(' '))
    expect(error.code).toBe('invalid-input')
    expect(error.message).toBe('word 3 "abandn" (did you mean "abandon"?) is not a BIP39 English word')
    expect(error.details).toEqual({ problem: 'unknown-words', words: [{ position: 3, word: 'abandn', suggestions: ['abandon'] }] })
  })

  it('lists every unknown word', () => {
    const words = ABANDON_ABOUT.split(' ')
    words[0] = 'abandno'
    words[11] = 'qqqqqq'
    const error = failure(words.join(' '))
    expect(error.message).toMatch(/^2 words are not BIP39 English words: word 1 "abandno" \(did you mean "abandon"/)
    expect(error.message).toMatch(/word 12 "qqqqqq" \(no close match in the list\)/)
  })

  it('reports a bad checksum as such', () => {
    const error = failure(ABANDON_ABOUT.replace(/about$/, 'abandon'))
    expect(error.code).toBe('invalid-input')
    expect(error.message).toMatch(/checksum does not match/)
    expect(error.details).toMatchObject({ problem: 'checksum', count: 12 })
  })

  it('reports a wrong word count', () => {
    for (const n of [1, 11, 13, 23, 25]) {
      const error = failure(Array(n).fill('abandon').join(' '))
      expect(error.details).toMatchObject({ problem: 'word-count', count: n })
      expect(error.message).toBe(`expected 12, 15, 18, 21 or 24 words, got ${n}`)
    }
    expect(failure('  \n').details).toEqual({ problem: 'empty' })
  })

  it('generate -> validate round trip, for every length', () => {
    fc.assert(
      fc.property(entropyArb, (entropy) => {
        const mnemonic = entropyToMnemonic(entropy, wordlist)
        expect(parseMnemonic(mnemonic)).toBe(mnemonic)
        expect(mnemonicEntropy(mnemonic)).toEqual(entropy)
      }),
    )
  })

  it('a single-word substitution is either still valid or a checksum error, never a crash', () => {
    fc.assert(
      fc.property(entropyArb, fc.nat(), fc.nat({ max: 2047 }), (entropy, at, replacement) => {
        const words = entropyToMnemonic(entropy, wordlist).split(' ')
        const i = at % words.length
        fc.pre(words[i] !== wordlist[replacement])
        words[i] = wordlist[replacement]!
        const text = words.join(' ')
        let result: string | BorgError
        try {
          result = parseMnemonic(text)
        } catch (error) {
          expect(error).toBeInstanceOf(BorgError)
          result = error as BorgError
        }
        if (typeof result === 'string') expect(result).toBe(text) // the checksum happened to match (1 in 16..256)
        else expect(result.details).toMatchObject({ problem: 'checksum', count: words.length })
      }),
      { numRuns: 300 },
    )
  })

  it('arbitrary text never crashes: it parses or is a BorgError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parseMnemonic(text)
        } catch (error) {
          expect(error).toBeInstanceOf(BorgError)
        }
      }),
    )
  })
})

describe('suggestWords', () => {
  it('finds typos, swaps and prefixes', () => {
    expect(suggestWords('abandn')).toEqual(['abandon'])
    expect(suggestWords('abnadon')).toContain('abandon') // neighbouring letters swapped
    expect(suggestWords('zooo')[0]).toBe('zoo')
    expect(suggestWords('categorize')[0]).toBe('category') // BIP39 words are unique in 4 letters
    expect(suggestWords('xqzvw')).toEqual([])
  })

  it('editDistance counts a swap as one edit', () => {
    expect(editDistance('abandon', 'abandon')).toBe(0)
    expect(editDistance('abnadon', 'abandon')).toBe(1)
    expect(editDistance('kitten', 'sitting')).toBe(3)
  })
})
