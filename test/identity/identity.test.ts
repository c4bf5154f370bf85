import { access, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { bytesToHex } from '../../src/core/bytes.js'
import { verify } from '../../src/core/crypto/secp256k1.js'
import { BorgError } from '../../src/core/errors.js'
import { createIdentity, restoreIdentity, showIdentity, unlockIdentity } from '../../src/core/identity/identity.js'
import { KDF_FAST_INSECURE } from '../../src/core/identity/keystore.js'
import { loadOrCreateNodeKey } from '../../src/core/identity/node-key.js'
import { identitySigner } from '../../src/core/identity/signer.js'
import { paths } from '../../src/core/store/paths.js'
import { ABANDON_ABOUT, fakeInput } from './fake-input.js'

const kdf = KDF_FAST_INSECURE
const env = { BORG_PASSPHRASE: 'pw' }
let home: string
let home2: string
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'borg-identity-'))
  home2 = await mkdtemp(join(tmpdir(), 'borg-identity-'))
})
afterEach(async () => {
  await rm(home, { recursive: true, force: true })
  await rm(home2, { recursive: true, force: true })
})

async function rejection(promise: Promise<unknown>): Promise<BorgError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(BorgError)
  return error as BorgError
}

describe('createIdentity', () => {
  it('returns 24 words once and restoring them gives the same identity', async () => {
    const { mnemonic, identity, bip39Passphrase } = await createIdentity({ home, input: fakeInput(), env, kdf })
    expect(mnemonic.split(' ')).toHaveLength(24)
    expect(bip39Passphrase).toBe(false)
    expect(identity.address).toMatch(/^D/)
    expect(identity.keystore).toBe(paths.identity(home))
    expect(identity.nodeId).toBeNull()
    const restored = await restoreIdentity({ home: home2, input: fakeInput({ stdin: `${mnemonic}\n` }), env, kdf })
    expect(restored.identity.address).toBe(identity.address)
    expect(restored.identity.publicKey).toBe(identity.publicKey)
  })

  it('asks for the keystore passphrase twice on a terminal, retrying on a mismatch', async () => {
    const input = fakeInput({ interactive: true, hidden: ['one', 'two', 'pw', 'pw'] })
    const { identity } = await createIdentity({ home, input, env: {}, kdf })
    expect(input.prompts).toHaveLength(4)
    expect(input.warnings.some((w) => /did not match/.test(w))).toBe(true)
    expect((await unlockIdentity(home, 'pw')).key.address).toBe(identity.address)
  })

  it('without a terminal or BORG_PASSPHRASE: usage error naming BORG_PASSPHRASE, nothing written', async () => {
    const error = await rejection(createIdentity({ home, input: fakeInput(), env: {}, kdf }))
    expect(error.code).toBe('usage')
    expect(error.message).toMatch(/BORG_PASSPHRASE/)
    expect(await readdir(home)).toEqual([])
  })

  it('warns when BORG_PASSPHRASE is deliberately empty, and about test-only KDF parameters', async () => {
    const input = fakeInput()
    await createIdentity({ home, input, env: { BORG_PASSPHRASE: '' }, kdf })
    expect(input.warnings.join('\n')).toMatch(/passphrase is empty/)
    expect(input.warnings.join('\n')).toMatch(/INSECURE/)
    expect((await unlockIdentity(home, '')).header.address).toMatch(/^D/)
  })

  it('refuses to overwrite (exists, before any prompt) unless forced; --force keeps a backup', async () => {
    const first = await createIdentity({ home, input: fakeInput(), env, kdf })
    const input = fakeInput({ interactive: true })
    const error = await rejection(createIdentity({ home, input, env: {}, kdf }))
    expect(error.code).toBe('exists')
    expect(error.exitCode).toBe(6)
    expect(error.message).toContain(first.identity.address)
    expect(input.prompts).toEqual([])
    const second = await createIdentity({ home, input: fakeInput(), env, kdf, force: true })
    expect(second.identity.address).not.toBe(first.identity.address)
    expect(second.identity.backup).toMatch(/identity\.json\.replaced-/)
    await access(second.identity.backup!)
  })

  it('a BIP39 passphrase from the environment changes the identity; restore needs the same one', async () => {
    const withPass = { ...env, BORG_MNEMONIC_PASSPHRASE: 'TREZOR' }
    const plain = await restoreIdentity({ home, input: fakeInput({ stdin: ABANDON_ABOUT }), env, kdf })
    const salted = await restoreIdentity({ home: home2, input: fakeInput({ stdin: ABANDON_ABOUT }), env: withPass, kdf })
    expect(plain.identity.address).toBe('DBus3bamQjgJULBJtYXpEzDWQRwF5iwxgC')
    expect(salted.bip39Passphrase).toBe(true)
    expect(salted.identity.address).not.toBe(plain.identity.address)
  })

  it('a BIP39 passphrase can be prompted for (hidden, twice)', async () => {
    const input = fakeInput({ interactive: true, hidden: ['TREZOR', 'TREZOR', 'pw', 'pw'] })
    const created = await createIdentity({ home, input, env: {}, kdf, promptMnemonicPassphrase: true })
    expect(created.bip39Passphrase).toBe(true)
    expect(input.prompts[0]).toMatch(/BIP39 passphrase/)
  })
})

describe('restoreIdentity', () => {
  it('reads typed words on a terminal', async () => {
    const input = fakeInput({ interactive: true, lines: [ABANDON_ABOUT.toUpperCase()], hidden: ['pw', 'pw'] })
    const { identity } = await restoreIdentity({ home, input, env: {}, kdf })
    expect(identity.address).toBe('DBus3bamQjgJULBJtYXpEzDWQRwF5iwxgC')
  })

  it('bad words: invalid-input, nothing written', async () => {
    const error = await rejection(restoreIdentity({ home, input: fakeInput({ stdin: ABANDON_ABOUT.replace('about', 'abuot') }), env, kdf }))
    expect(error.code).toBe('invalid-input')
    expect(error.message).toMatch(/word 12 "abuot" \(did you mean "about"/)
    expect(await readdir(home)).toEqual([])
  })

  it('piped words with --mnemonic-passphrase-prompt: usage error before reading stdin', async () => {
    const error = await rejection(restoreIdentity({ home, input: fakeInput(), env, kdf, promptMnemonicPassphrase: true }))
    expect(error.code).toBe('usage')
  })

  it('piped words without BORG_PASSPHRASE: usage error before reading stdin', async () => {
    const error = await rejection(restoreIdentity({ home, input: fakeInput(), env: {}, kdf }))
    expect(error.code).toBe('usage')
  })
})

describe('showIdentity and unlockIdentity', () => {
  it('shows the header without a passphrase, and the node id once there is one', async () => {
    await restoreIdentity({ home, input: fakeInput({ stdin: ABANDON_ABOUT }), env, kdf })
    const shown = await showIdentity(home)
    expect(shown).toMatchObject({
      address: 'DBus3bamQjgJULBJtYXpEzDWQRwF5iwxgC',
      publicKey: '02cc6b0dc33aabcf3a23643e5e2919a80c50fb3dd2129ce409bbc5f0d4643d05e0',
      path: "m/44'/3'/0'/0/0",
      nodeId: null,
      verified: false,
      kdf: { name: 'scrypt', N: 1024, r: 8, p: 1 },
    })
    const nodeKey = await loadOrCreateNodeKey(home)
    expect((await showIdentity(home)).nodeId).toBe(bytesToHex(nodeKey.id))
  })

  it('--verify unlocks: right passphrase verifies, wrong one is wrong-passphrase', async () => {
    await restoreIdentity({ home, input: fakeInput({ stdin: ABANDON_ABOUT }), env, kdf })
    expect((await showIdentity(home, { input: fakeInput(), env })).verified).toBe(true)
    expect((await rejection(showIdentity(home, { input: fakeInput(), env: { BORG_PASSPHRASE: 'nope' } }))).code).toBe('wrong-passphrase')
    expect((await rejection(showIdentity(home, { input: fakeInput(), env: {} }))).code).toBe('usage')
  })

  it('no identity: not-found', async () => {
    const error = await rejection(showIdentity(home))
    expect(error.code).toBe('not-found')
    expect(error.exitCode).toBe(3)
  })

  it('the unlocked identity signs', async () => {
    await restoreIdentity({ home, input: fakeInput({ stdin: ABANDON_ABOUT }), env, kdf })
    const { key, seed } = await unlockIdentity(home, 'pw')
    expect(seed).toHaveLength(64)
    const signer = identitySigner(key)
    const message = new TextEncoder().encode('m')
    expect(verify(signer.sign(message), message, signer.publicKey)).toBe(true)
  })
})
