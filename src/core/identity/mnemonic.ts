/**
 * BIP39 recovery words (English list only). New identities get 24 words (256
 * bits of entropy); restore accepts every standard length. Input is checked
 * word by word first so a typo is reported by position with suggestions,
 * instead of the bare "invalid mnemonic" most wallets give.
 */
import {
  generateMnemonic as scureGenerate,
  mnemonicToEntropy,
  mnemonicToSeed as scureToSeed,
} from '@scure/bip39'
import { wordlist } from '@scure/bip39/wordlists/english.js'
import { BorgError } from '../errors.js'

export const WORD_COUNTS = [12, 15, 18, 21, 24] as const
const WORD_INDEX = new Map(wordlist.map((word, index) => [word, index]))

/** A fresh 24-word mnemonic from 256 bits of crypto-strong entropy. */
export function generateMnemonic(): string {
  return scureGenerate(wordlist, 256)
}

/**
 * Canonical form of typed or pasted words: NFKD, lower case, single spaces.
 * Commas count as separators and bare position numbers ("1", "2.", "3)")
 * are dropped, so the numbered list `borg id new` prints can be pasted back.
 */
export function normalizeMnemonic(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .split(/[\s,]+/u)
    .filter((token) => token !== '' && !/^\d+[.):]?$/.test(token))
    .join(' ')
}

export function isWord(word: string): boolean {
  return WORD_INDEX.has(word)
}

/** Optimal-string-alignment distance: edits plus swaps of neighbouring letters. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1
  const cols = b.length + 1
  const d: number[] = new Array<number>(rows * cols).fill(0)
  for (let i = 0; i < rows; i++) d[i * cols] = i
  for (let j = 0; j < cols; j++) d[j] = j
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[(i - 2) * cols + j - 2]! + 1)
      d[i * cols + j] = best
    }
  }
  return d[rows * cols - 1]!
}

function sharedPrefix(a: string, b: string): number {
  let n = 0
  while (n < a.length && n < b.length && a[n] === b[n]) n++
  return n
}

/**
 * Up to `limit` list words close to `word`. BIP39 English words are unique in
 * their first four letters, so a four-letter prefix match ranks first; then
 * small edit distance, then longer shared prefix.
 */
export function suggestWords(word: string, limit = 3): string[] {
  const maxDistance = word.length <= 4 ? 1 : 2
  return wordlist
    .map((candidate) => ({ candidate, distance: editDistance(word, candidate), prefix: sharedPrefix(word, candidate) }))
    .filter(({ distance, prefix }) => distance <= maxDistance || prefix >= 4)
    .sort(
      (x, y) =>
        Number(y.prefix >= 4) - Number(x.prefix >= 4) ||
        x.distance - y.distance ||
        y.prefix - x.prefix ||
        x.candidate.localeCompare(y.candidate),
    )
    .slice(0, limit)
    .map(({ candidate }) => candidate)
}

export interface UnknownWord {
  position: number // 1-based, as a person counts
  word: string
  suggestions: string[]
}

function describeUnknown({ position, word, suggestions }: UnknownWord): string {
  const hint = suggestions.length ? `did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}?` : 'no close match in the list'
  return `word ${position} "${word}" (${hint})`
}

/**
 * Validate recovery words and return their canonical form. Every failure is
 * a BorgError 'invalid-input' whose details say what is wrong:
 * unknown words (position, word, suggestions), word count, or checksum.
 */
export function parseMnemonic(text: string): string {
  const mnemonic = normalizeMnemonic(text)
  const words = mnemonic === '' ? [] : mnemonic.split(' ')
  if (words.length === 0) {
    throw new BorgError('invalid-input', 'no recovery words given', { details: { problem: 'empty' } })
  }
  const unknown: UnknownWord[] = []
  words.forEach((word, i) => {
    if (!isWord(word)) unknown.push({ position: i + 1, word, suggestions: suggestWords(word) })
  })
  if (unknown.length > 0) {
    const list = unknown.map(describeUnknown).join('; ')
    const lead = unknown.length === 1 ? 'is not a BIP39 English word' : `${unknown.length} words are not BIP39 English words`
    const message = unknown.length === 1 ? `${list} ${lead}` : `${lead}: ${list}`
    throw new BorgError('invalid-input', message, { details: { problem: 'unknown-words', words: unknown } })
  }
  if (!(WORD_COUNTS as readonly number[]).includes(words.length)) {
    throw new BorgError('invalid-input', `expected 12, 15, 18, 21 or 24 words, got ${words.length}`, {
      details: { problem: 'word-count', count: words.length },
    })
  }
  try {
    mnemonicToEntropy(mnemonic, wordlist)
  } catch {
    throw new BorgError(
      'invalid-input',
      `all ${words.length} words are in the BIP39 list but the checksum does not match: ` +
        'one word is wrong (a different valid word) or two words are swapped',
      { details: { problem: 'checksum', count: words.length } },
    )
  }
  return mnemonic
}

/** The 64-byte BIP39 seed (PBKDF2-HMAC-SHA512, 2048 rounds); the passphrase is the optional "25th word". */
export async function mnemonicToSeed(mnemonic: string, passphrase = ''): Promise<Uint8Array> {
  return scureToSeed(parseMnemonic(mnemonic), passphrase)
}

/** Entropy bytes of valid words (for tests and tools). */
export function mnemonicEntropy(mnemonic: string): Uint8Array {
  return mnemonicToEntropy(parseMnemonic(mnemonic), wordlist)
}
