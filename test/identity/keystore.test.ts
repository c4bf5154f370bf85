import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { bytesToHex } from '../../src/core/bytes.js'
import { BorgError } from '../../src/core/errors.js'
import { deriveIdentityKey } from '../../src/core/identity/derive.js'
import {
  KDF_DEFAULT,
  KDF_FAST_INSECURE,
  kdfParamsFromEnv,
  openKeystore,
  parseKeystore,
  readKeystore,
  sealKeystore,
  serializeKeystore,
  writeKeystore,
  type KeystoreFile,
  type KeystoreHeader,
} from '../../src/core/identity/keystore.js'
import { mnemonicToSeed } from '../../src/core/identity/mnemonic.js'
import { ABANDON_ABOUT } from './fake-input.js'

const FAST = KDF_FAST_INSECURE

async function fixture(): Promise<{ seed: Uint8Array; header: KeystoreHeader }> {
  const seed = await mnemonicToSeed(ABANDON_ABOUT)
  const key = deriveIdentityKey(seed)
  return { seed, header: { address: key.address, publicKey: bytesToHex(key.publicKey), path: key.path, created: '2025-01-01T00:00:00.000Z' } }
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(BorgError)
    return (error as BorgError).code
  }
  throw new Error('expected a rejection')
}

function codeOfSync(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(BorgError)
    return (error as BorgError).code
  }
  throw new Error('expected a throw')
}

let dir: string
beforeEach(async () => void (dir = await mkdtemp(join(tmpdir(), 'borg-keystore-'))))
afterEach(async () => rm(dir, { recursive: true, force: true }))

describe('seal / open', () => {
  it('round-trips the seed and records the KDF parameters', async () => {
    const { seed, header } = await fixture()
    const file = await sealKeystore(seed, header, 'correct horse', FAST)
    expect(file.kdf).toMatchObject({ name: 'scrypt', N: 1024, r: 8, p: 1 })
    expect(file.cipher.name).toBe('xchacha20-poly1305')
    expect(file.header).toEqual(header)
    expect(await openKeystore(parseKeystore(serializeKeystore(file)), 'correct horse')).toEqual(seed)
  })

  it('never stores the seed in clear, and salts every file', async () => {
    const { seed, header } = await fixture()
    const a = await sealKeystore(seed, header, 'pw', FAST)
    const b = await sealKeystore(seed, header, 'pw', FAST)
    expect(serializeKeystore(a)).not.toContain(bytesToHex(seed).slice(0, 32))
    expect(a.kdf.salt).not.toBe(b.kdf.salt)
    expect(a.ciphertext).not.toBe(b.ciphertext)
  })

  it('wrong passphrase -> wrong-passphrase', async () => {
    const { seed, header } = await fixture()
    const file = await sealKeystore(seed, header, 'right', FAST)
    expect(await codeOf(openKeystore(file, 'wrong'))).toBe('wrong-passphrase')
    expect(await codeOf(openKeystore(file, ''))).toBe('wrong-passphrase')
  })

  it('normalises the passphrase (NFKD): composed and decomposed accents open the same file', async () => {
    const { seed, header } = await fixture()
    const file = await sealKeystore(seed, header, 'caf\u00e9', FAST)
    expect(await openKeystore(file, 'cafe\u0301')).toEqual(seed)
  })

  it('an edited header is detected on unlock (AEAD associated data)', async () => {
    const { seed, header } = await fixture()
    const file = await sealKeystore(seed, header, 'pw', FAST)
    const edits: Array<(f: KeystoreFile) => void> = [
      (f) => void (f.header.created = '2030-01-01T00:00:00.000Z'),
      (f) => void (f.header.path = "m/44'/3'/0'/0/1"),
      (f) => void (f.ciphertext = `${f.ciphertext.slice(0, -2)}${f.ciphertext.endsWith('00') ? '01' : '00'}`),
      (f) => void (f.cipher.nonce = `${f.cipher.nonce.slice(0, -2)}${f.cipher.nonce.endsWith('00') ? '01' : '00'}`),
    ]
    for (const edit of edits) {
      const tampered = structuredClone(file)
      edit(tampered)
      expect(await codeOf(openKeystore(parseKeystore(serializeKeystore(tampered)), 'pw'))).toBe('corrupt-keystore')
    }
  })

  it('swapping in another identity\'s address and key is caught without the passphrase', async () => {
    const { seed, header } = await fixture()
    const file = await sealKeystore(seed, header, 'pw', FAST)
    const other = deriveIdentityKey(await mnemonicToSeed(ABANDON_ABOUT, 'x'))
    const addressOnly = structuredClone(file)
    addressOnly.header.address = other.address
    expect(codeOfSync(() => parseKeystore(serializeKeystore(addressOnly)))).toBe('corrupt-keystore')
    const both = structuredClone(addressOnly)
    both.header.publicKey = bytesToHex(other.publicKey)
    const parsed = parseKeystore(serializeKeystore(both)) // consistent header: only unlocking can tell
    expect(await codeOf(openKeystore(parsed, 'pw'))).toBe('corrupt-keystore')
  })
})

describe('parseKeystore', () => {
  it('truncated, garbage, wrong format or version -> corrupt-keystore', async () => {
    const { seed, header } = await fixture()
    const text = serializeKeystore(await sealKeystore(seed, header, 'pw', FAST))
    const bad = [
      text.slice(0, text.length / 2),
      '',
      'garbage',
      '[]',
      'null',
      JSON.stringify({ ...JSON.parse(text), version: 2 }),
      JSON.stringify({ ...JSON.parse(text), format: 'other' }),
      JSON.stringify({ ...JSON.parse(text), ciphertext: 'abcd' }),
      JSON.stringify({ ...JSON.parse(text), kdf: { ...JSON.parse(text).kdf, N: 1000 } }),
      JSON.stringify({ ...JSON.parse(text), kdf: { ...JSON.parse(text).kdf, N: 2 ** 30 } }),
      JSON.stringify({ ...JSON.parse(text), header: undefined }),
    ]
    for (const candidate of bad) expect(codeOfSync(() => parseKeystore(candidate))).toBe('corrupt-keystore')
  })
})

describe('files', () => {
  it('writes mode 0600 in a 0700 directory and reads back', async () => {
    const { seed, header } = await fixture()
    const path = join(dir, 'home', 'identity.json')
    await writeKeystore(path, await sealKeystore(seed, header, 'pw', FAST))
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect((await stat(join(dir, 'home'))).mode & 0o777).toBe(0o700)
    expect((await readKeystore(path)).header).toEqual(header)
  })

  it('refuses to overwrite unless asked', async () => {
    const { seed, header } = await fixture()
    const path = join(dir, 'identity.json')
    const file = await sealKeystore(seed, header, 'pw', FAST)
    await writeKeystore(path, file)
    const before = await readFile(path, 'utf8')
    expect(await codeOf(writeKeystore(path, await sealKeystore(seed, header, 'other', FAST)))).toBe('exists')
    expect(await readFile(path, 'utf8')).toBe(before)
    await writeKeystore(path, await sealKeystore(seed, header, 'other', FAST), { replace: true })
    expect(await readFile(path, 'utf8')).not.toBe(before)
  })

  it('missing file -> not-found, with what to run', async () => {
    const error = await readKeystore(join(dir, 'nope.json')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BorgError)
    expect((error as BorgError).code).toBe('not-found')
    expect((error as BorgError).message).toMatch(/borg id new.*borg id restore/)
  })

  it('truncated file on disk -> corrupt-keystore', async () => {
    const path = join(dir, 'identity.json')
    await writeFile(path, '{"format":"borg-keystore","vers')
    expect(await codeOf(readKeystore(path))).toBe('corrupt-keystore')
  })
})

describe('KDF parameters', () => {
  it('defaults to scrypt N=2^17 r=8 p=1; BORG_KDF_FAST=1 lowers N to 2^10', () => {
    expect(KDF_DEFAULT).toEqual({ N: 2 ** 17, r: 8, p: 1 })
    expect(kdfParamsFromEnv({})).toBe(KDF_DEFAULT)
    expect(kdfParamsFromEnv({ BORG_KDF_FAST: '1' })).toBe(KDF_FAST_INSECURE)
    expect(kdfParamsFromEnv({ BORG_KDF_FAST: 'yes' })).toBe(KDF_DEFAULT)
  })

  it('a file sealed with the default parameters opens (the real cost, ~0.5 s)', async () => {
    const { seed, header } = await fixture()
    const file = await sealKeystore(seed, header, 'pw')
    expect(file.kdf).toMatchObject({ N: 2 ** 17, r: 8, p: 1 })
    expect(await openKeystore(file, 'pw')).toEqual(seed)
  })
})
