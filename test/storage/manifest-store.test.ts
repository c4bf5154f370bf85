import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ManifestStore } from '../../src/cells/files/manifest-store.js'
import { signManifest } from '../../src/core/storage/manifest.js'
import { signRemoval } from '../../src/core/storage/removal.js'
import { bytesToHex } from '../../src/core/bytes.js'
import { silentLogger } from '../../src/core/log.js'
import { cryptoRandom } from '../../src/core/crypto/random.js'
import { testSigner } from '../helpers/keys.js'

const owner = testSigner('secp256k1')
const manifestOf = (n: number, created = 1_700_000_000_000) =>
  signManifest(owner, { owner: bytesToHex(owner.keyId), size: n, chunkSize: 4096, chunks: [(n % 256).toString(16).padStart(2, '0').repeat(32)], sha256: 'ab'.repeat(32) }, created, cryptoRandom)

describe('ManifestStore', () => {
  let dir = ''
  beforeEach(async () => void (dir = await mkdtemp(join(tmpdir(), 'borg-manifests-'))))
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('refuses a manifest past its quota with reason "full", and frees room on removal; counts survive a restart', async () => {
    const one = manifestOf(1)
    const store = new ManifestStore(dir, silentLogger, 2 * one.bytes.length + 10)
    await store.open()
    expect((await store.put(one.bytes)).stored).toBe(true)
    expect((await store.put(manifestOf(2).bytes)).stored).toBe(true)
    await expect(store.put(manifestOf(3).bytes)).rejects.toMatchObject({ code: 'unavailable', details: { reason: 'full' } })
    await store.remove(one.id)
    expect((await store.put(manifestOf(3).bytes)).stored).toBe(true)
    const reopened = new ManifestStore(dir, silentLogger, 1 << 20)
    await reopened.open()
    expect([reopened.count, reopened.usedBytes]).toEqual([2, store.usedBytes])
  })

  it('keeps a removal as a tombstone: the removed manifest is refused, a newer one of the same file stands, a stranger\u2019s removal is refused', async () => {
    const store = new ManifestStore(dir, silentLogger)
    await store.open()
    const m = manifestOf(7, 1000)
    await store.put(m.bytes)
    expect(await store.applyRemoval(signRemoval(testSigner('secp256k1'), m.id, 2000, cryptoRandom))).toBe('refused')
    expect(await store.applyRemoval(signRemoval(owner, m.id, 500, cryptoRandom))).toBe('stale')
    expect(await store.applyRemoval(signRemoval(owner, m.id, 2000, cryptoRandom))).toBe('removed')
    expect((await store.put(m.bytes)).removed).toBeDefined()
    const newer = manifestOf(7, 3000)
    expect(newer.id).toBe(m.id)
    expect((await store.put(newer.bytes)).stored).toBe(true)
    const reopened = new ManifestStore(dir, silentLogger)
    await reopened.open()
    expect(reopened.removalOf(m.id)?.at).toBe(2000)
    expect(reopened.ownerOf(m.id)).toBe(bytesToHex(owner.keyId))
  })
})
