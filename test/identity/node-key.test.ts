import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { bytesToHex } from '../../src/core/bytes.js'
import { generateKeyPair } from '../../src/core/crypto/secp256k1.js'
import { ed25519PublicKeyOf, generateEd25519SecretKey } from '../../src/core/crypto/ed25519.js'
import { verifyByKeyId } from '../../src/core/crypto/key-id.js'
import { BorgError } from '../../src/core/errors.js'
import { deriveIdentityKey } from '../../src/core/identity/derive.js'
import { mnemonicToSeed } from '../../src/core/identity/mnemonic.js'
import { loadNodeKey, loadOrCreateNodeKey } from '../../src/core/identity/node-key.js'
import { identitySigner, nodeSigner, signerFromSecretKey } from '../../src/core/identity/signer.js'
import { paths } from '../../src/core/store/paths.js'
import { ABANDON_ABOUT } from './fake-input.js'

let home: string
beforeEach(async () => void (home = await mkdtemp(join(tmpdir(), 'borg-node-key-'))))
afterEach(async () => rm(home, { recursive: true, force: true }))

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(BorgError)
  return (error as BorgError).code
}

describe('node key', () => {
  it('is created on first use, mode 0600, and the same afterwards', async () => {
    expect(await loadNodeKey(home)).toBeUndefined()
    const created = await loadOrCreateNodeKey(home)
    const path = paths.nodeKey(home)
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    const file = JSON.parse(await readFile(path, 'utf8'))
    expect(file).toEqual({
      version: 2,
      algorithm: 'ed25519',
      secretKey: bytesToHex(created.secretKey),
      publicKey: bytesToHex(created.publicKey),
      created: created.created,
    })
    expect(created.publicKey).toHaveLength(32)
    expect(bytesToHex(created.id)).toBe(`ed${bytesToHex(created.publicKey)}`)
    const again = await loadOrCreateNodeKey(home)
    expect(again.publicKey).toEqual(created.publicKey)
    expect((await loadNodeKey(home))?.publicKey).toEqual(created.publicKey)
  })

  it('concurrent first starts agree on one key', async () => {
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateNodeKey(home)))
    for (const key of keys) expect(key.publicKey).toEqual(keys[0]!.publicKey)
  })

  it('refuses a group- or world-readable file', async () => {
    await loadOrCreateNodeKey(home)
    await chmod(paths.nodeKey(home), 0o644)
    const error = await loadNodeKey(home).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BorgError)
    expect((error as BorgError).code).toBe('refused')
    expect((error as BorgError).message).toContain(`chmod 600 ${paths.nodeKey(home)}`)
  })

  it('validates the key on load', async () => {
    const path = paths.nodeKey(home)
    await mkdir(join(home, 'node'), { recursive: true })
    const secret = generateEd25519SecretKey()
    const good = { secretKey: secret, publicKey: ed25519PublicKeyOf(secret) }
    const other = ed25519PublicKeyOf(generateEd25519SecretKey())
    const legacy = generateKeyPair()
    const write = (value: unknown) => writeFile(path, typeof value === 'string' ? value : JSON.stringify(value), { mode: 0o600 })
    const base = { version: 2, algorithm: 'ed25519', secretKey: bytesToHex(good.secretKey), publicKey: bytesToHex(good.publicKey), created: '2025-01-01T00:00:00Z' }
    const bad: unknown[] = [
      '{"version":2,"secr',
      { ...base, version: 3 },
      { version: 1, secretKey: bytesToHex(legacy.secretKey), publicKey: bytesToHex(legacy.publicKey), created: base.created }, // pre-release secp256k1 key
      { ...base, algorithm: 'secp256k1' },
      { ...base, publicKey: bytesToHex(other) },
      { ...base, secretKey: '00'.repeat(32) },
      { ...base, secretKey: 'zz' },
      { ...base, created: undefined },
    ]
    for (const value of bad) {
      await write(value)
      expect(await codeOf(loadNodeKey(home))).toBe('corrupt-keystore')
    }
    await write(base)
    expect((await loadNodeKey(home))?.publicKey).toEqual(good.publicKey)
  })
})

describe('signers', () => {
  const message = new TextEncoder().encode('hello borg')

  it('node signer signs verifiably with the node key', async () => {
    const key = await loadOrCreateNodeKey(home)
    const signer = nodeSigner(key)
    expect(signer.publicKey).toEqual(key.publicKey)
    expect(signer.keyId).toEqual(key.id)
    const signature = signer.sign(message)
    expect(signature).toHaveLength(64)
    expect(verifyByKeyId(signer.keyId, signature, message)).toBe(true)
    expect(verifyByKeyId(signer.keyId, signature, new TextEncoder().encode('other'))).toBe(false)
  })

  it('identity signer signs with the m/44\'/3\'/0\'/0/0 key', async () => {
    const key = deriveIdentityKey(await mnemonicToSeed(ABANDON_ABOUT))
    const signer = identitySigner(key)
    expect(bytesToHex(signer.publicKey)).toBe('02cc6b0dc33aabcf3a23643e5e2919a80c50fb3dd2129ce409bbc5f0d4643d05e0')
    expect(bytesToHex(signer.keyId)).toBe('0102cc6b0dc33aabcf3a23643e5e2919a80c50fb3dd2129ce409bbc5f0d4643d05e0')
    expect(verifyByKeyId(signer.keyId, signer.sign(message), message)).toBe(true)
  })

  it('exposes no secret and is not affected by later changes to the caller\'s buffers', () => {
    const { secretKey, publicKey } = generateKeyPair()
    const signer = signerFromSecretKey(secretKey)
    expect(Object.keys(signer).sort()).toEqual(['keyId', 'publicKey', 'sign'])
    expect(JSON.stringify(signer)).not.toContain(bytesToHex(secretKey))
    const signature = signer.sign(message)
    secretKey.fill(1)
    signer.publicKey.fill(0)
    expect(signer.sign(message)).toEqual(signature) // RFC 6979: deterministic
    expect(signer.publicKey).toEqual(publicKey)
  })
})
