/**
 * The conduit's state machines (no network): the keyring (create shows the
 * words once and unlocks, restore from words gives the same identity, a wrong
 * passphrase unlocks nothing, lock forgets the keys), confirmations (once
 * each, expire, bounded), and uploads (parts in order, a repeated part
 * acknowledged not written twice, the store given the whole spooled file and
 * retried by the caller, bounds refused).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Keyring } from '../../src/conduit/keyring.js'
import { Confirmations, CONFIRM_TTL_MS, MAX_PENDING } from '../../src/conduit/confirmations.js'
import { Uploads, UPLOAD_PART_BYTES, MAX_ACTIVE_UPLOADS, checkUploadRequest } from '../../src/conduit/uploads.js'
import { BorgError } from '../../src/core/errors.js'

/** The code of the BorgError a promise rejects with (any other outcome fails the test). */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    if (error instanceof BorgError) return error.code
    throw error
  }
  throw new Error('expected a refusal')
}

const dirs: string[] = []
const scratch = async () => {
  const d = await mkdtemp(join(tmpdir(), 'borg-conduit-state-'))
  dirs.push(d)
  return d
}
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))))
const env = { ...process.env, BORG_KDF_FAST: '1' }

describe('Keyring', () => {
  it('creates (words once), locks, unlocks; restores the same identity elsewhere; refuses a wrong passphrase', async () => {
    const home = await scratch()
    const ring = new Keyring(home, env)
    expect(await ring.state()).toEqual({ state: 'none' })
    expect(() => ring.unlocked()).toThrow(/locked/)
    const made = await ring.create('passphrase one')
    expect(made.words.split(' ')).toHaveLength(24)
    expect(made.identity.state).toBe('unlocked')
    const address = (made.identity as { address: string }).address
    expect(ring.unlocked().address).toBe(address)
    // The keystore on disk holds no words in clear.
    expect(await readFile(join(home, 'identity.json'), 'utf8').catch(() => '')).not.toContain(made.words.split(' ').slice(0, 3).join(' '))
    ring.lock()
    expect((await ring.state()).state).toBe('locked')
    expect(await codeOf(ring.unlock('not the passphrase'))).toBe('wrong-passphrase')
    expect((await ring.state()).state).toBe('locked')
    await ring.unlock('passphrase one')
    expect(ring.unlocked().address).toBe(address)
    expect(await codeOf(ring.create('passphrase two'))).toBe('exists')
    expect(await codeOf(ring.unlock('short'))).toBe('invalid-input')

    const other = new Keyring(await scratch(), env)
    const restored = await other.restore(`  ${made.words.toUpperCase().split(' ').join('   ')} `.toLowerCase(), 'another passphrase')
    expect(restored).toMatchObject({ state: 'unlocked', address })
    expect(await codeOf(new Keyring(await scratch(), env).restore('abandon '.repeat(24).trim(), 'passphrase x'))).toBe('invalid-input')
  }, 30_000)
})

describe('Confirmations', () => {
  it('runs a confirmed action once, forgets it after two minutes, keeps at most 32', async () => {
    let now = 0
    const c = new Confirmations(() => now)
    let runs = 0
    const one = c.ask('Send 1 Shell to X', { amount: '1' }, async () => ++runs)
    expect(await c.confirm(one.id)).toBe(1)
    expect(await codeOf(c.confirm(one.id))).toBe('not-found')
    const late = c.ask('later', {}, async () => ++runs)
    now += CONFIRM_TTL_MS
    expect(await codeOf(c.confirm(late.id))).toBe('not-found')
    const cancelled = c.ask('cancel me', {}, async () => ++runs)
    expect(c.cancel(cancelled.id)).toBe(true)
    expect(await codeOf(c.confirm(cancelled.id))).toBe('not-found')
    const many = Array.from({ length: MAX_PENDING + 5 }, (_, i) => c.ask(`n${i}`, {}, async () => i))
    expect(await codeOf(c.confirm(many[0]!.id))).toBe('not-found')
    expect(await c.confirm(many[many.length - 1]!.id)).toBe(MAX_PENDING + 4)
    expect(runs).toBe(1)
  })
})

describe('Uploads', () => {
  const part = (n: number, fill: number) => Buffer.alloc(n, fill).toString('base64')

  it('spools parts in order, acknowledges a repeated part, and stores the whole file once received', async () => {
    const dir = await scratch()
    const stored: Buffer[] = []
    let attempts = 0
    const uploads = new Uploads(join(dir, 'spool'), async (path, request, progress) => {
      attempts++
      const bytes = await readFile(path)
      stored.push(bytes)
      progress(bytes.length / 2, 'node-a')
      progress(bytes.length, 'node-b')
      return { fileId: 'f'.repeat(64), copies: 3 }
    })
    const size = UPLOAD_PART_BYTES + 10
    const u = await uploads.open(checkUploadRequest({ name: 'a.bin', size }))
    expect(u.state).toBe('receiving')
    await uploads.append(u.id, 0, part(UPLOAD_PART_BYTES, 1))
    const again = await uploads.append(u.id, 0, part(UPLOAD_PART_BYTES, 1)) // a retried request
    expect(again.received).toBe(UPLOAD_PART_BYTES)
    expect(await codeOf(uploads.append(u.id, UPLOAD_PART_BYTES + 5, part(5, 2)))).toBe('invalid-input') // a gap
    expect(await codeOf(uploads.append(u.id, UPLOAD_PART_BYTES, part(11, 2)))).toBe('invalid-input') // past the size
    await uploads.append(u.id, UPLOAD_PART_BYTES, part(10, 2))
    for (let i = 0; i < 50 && uploads.status(u.id).state !== 'stored'; i++) await new Promise((r) => setTimeout(r, 10))
    const done = uploads.status(u.id)
    expect(done).toMatchObject({ state: 'stored', stored: size, copies: 3, through: ['node-a', 'node-b'] })
    expect(attempts).toBe(1)
    expect(stored[0]!.length).toBe(size)
    expect(stored[0]!.subarray(UPLOAD_PART_BYTES).every((b) => b === 2)).toBe(true)
    await uploads.close()
  })

  it('refuses bad requests, oversized parts, unknown uploads and more than 4 at a time; reports a failed store', async () => {
    const dir = await scratch()
    const uploads = new Uploads(join(dir, 'spool'), async () => {
      throw new Error('no holder took chunk')
    })
    for (const bad of [null, { name: '', size: 1 }, { name: 'a/b', size: 1 }, { name: 'x', size: -1 }, { name: 'x', size: 1.5 }, { name: 'x', size: 1, mime: 'not a type' }]) expect(() => checkUploadRequest(bad)).toThrow()
    const u = await uploads.open(checkUploadRequest({ name: 'x', size: 3 }))
    expect(await codeOf(uploads.append(u.id, 0, part(UPLOAD_PART_BYTES + 1, 0)))).toBe('invalid-input')
    expect(await codeOf(uploads.append('nope', 0, part(3, 0)))).toBe('not-found')
    for (let i = 1; i < MAX_ACTIVE_UPLOADS; i++) await uploads.open(checkUploadRequest({ name: `y${i}`, size: 3 }))
    expect(await codeOf(uploads.open(checkUploadRequest({ name: 'z', size: 3 })))).toBe('busy')
    await uploads.append(u.id, 0, part(3, 7))
    for (let i = 0; i < 50 && uploads.status(u.id).state !== 'failed'; i++) await new Promise((r) => setTimeout(r, 10))
    expect(uploads.status(u.id)).toMatchObject({ state: 'failed', error: 'no holder took chunk' })
    await uploads.close()
  })
})
