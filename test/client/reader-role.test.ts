import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readerRole } from '../../src/client/session.js'
import { createIdentity } from '../../src/core/identity/identity.js'
import { fakeInput } from '../identity/fake-input.js'

let withIdentity: string
let empty: string
beforeAll(async () => {
  withIdentity = await mkdtemp(join(tmpdir(), 'borg-role-'))
  empty = await mkdtemp(join(tmpdir(), 'borg-role-empty-'))
  await createIdentity({ home: withIdentity, input: fakeInput({}), env: { BORG_PASSPHRASE: 'pw', BORG_KDF_FAST: '1' } })
})
afterAll(async () => {
  await rm(withIdentity, { recursive: true, force: true })
  await rm(empty, { recursive: true, force: true })
})

describe('who a read acts as (shard get, stream get, shard ls alike)', () => {
  it('the identity when asked for, whatever the environment', async () => {
    expect(await readerRole(empty, true, {})).toBe('identity')
  })
  it('the identity when BORG_PASSPHRASE is set and the home has one', async () => {
    expect(await readerRole(withIdentity, false, { BORG_PASSPHRASE: 'pw' })).toBe('identity')
  })
  it('the node key without the passphrase, or without an identity', async () => {
    expect(await readerRole(withIdentity, false, {})).toBe('node')
    expect(await readerRole(empty, false, { BORG_PASSPHRASE: 'pw' })).toBe('node')
  })
})
