import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { bytesToHex } from '../../src/core/bytes.js'
import { cryptoRandom } from '../../src/core/crypto/random.js'
import { manifestBody, openManifest, signManifest, storedChunkLength, type ManifestContent } from '../../src/core/storage/manifest.js'
import { testSigner } from '../helpers/keys.js'

const owner = testSigner('secp256k1')
const content = (over: Partial<ManifestContent> = {}): ManifestContent => ({
  owner: bytesToHex(owner.keyId),
  size: 10_000,
  chunkSize: 4096,
  chunks: ['a', 'b', 'c'].map((c) => c.repeat(64)),
  sha256: 'd'.repeat(64),
  name: 'backup.tar.gz',
  mime: 'application/gzip',
  ...over,
})

describe('manifests', () => {
  it('are signed by the owner; the id is the body hash, the same for the same content whenever signed', () => {
    const a = signManifest(owner, content(), 1_700_000_000_000, cryptoRandom)
    const b = signManifest(owner, content(), 1_800_000_000_000, cryptoRandom)
    expect(a.id).toBe(b.id)
    expect(a.created).toBe(1_700_000_000_000)
    expect(openManifest(a.bytes, a.id)).toMatchObject({ id: a.id, name: 'backup.tar.gz', chunks: content().chunks })
    expect(signManifest(owner, content({ name: 'other' }), 1, cryptoRandom).id).not.toBe(a.id)
    const other = testSigner('secp256k1')
    expect(signManifest(other, content({ owner: bytesToHex(other.keyId) }), 1, cryptoRandom).id).not.toBe(a.id)
  })

  it('refuse another id, a tampered or truncated envelope, an owner that is not the signer', () => {
    const m = signManifest(owner, content(), 1, cryptoRandom)
    expect(() => openManifest(m.bytes, 'e'.repeat(64))).toThrow(/not e/)
    for (let i = 0; i < m.bytes.length; i += 97) {
      const t = Uint8Array.from(m.bytes)
      t[i]! ^= 0x10
      expect(() => openManifest(t, m.id)).toThrow()
    }
    expect(() => openManifest(m.bytes.subarray(0, m.bytes.length - 1))).toThrow(/truncated/)
    const stranger = testSigner('secp256k1')
    expect(() => signManifest(stranger, content(), 1, cryptoRandom)).toThrow(/signed by its owner/)
  })

  it('refuse inconsistent or hostile bodies', () => {
    const bad = [
      content({ chunks: ['a'.repeat(64)] }), // 1 chunk for 10,000 bytes
      content({ chunks: ['../../etc/passwd', 'b'.repeat(64), 'c'.repeat(64)] }),
      content({ name: 'a\nb' }),
      content({ mime: 'not a type' }),
      content({ chunkSize: 100 }),
      content({ size: -1 }),
    ]
    for (const c of bad) expect(() => signManifest(owner, c, 1, cryptoRandom)).toThrow(/malformed manifest/)
  })

  it('describe an empty file with no chunks, and give stored chunk lengths', () => {
    const empty = signManifest(owner, content({ size: 0, chunks: [], sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }), 1, cryptoRandom)
    expect(empty.chunks).toEqual([])
    const c = content()
    expect([0, 1, 2].map((i) => storedChunkLength(c, i))).toEqual([4096, 4096, 1808])
    expect(storedChunkLength({ ...c, enc: { alg: 'aes-256-gcm', meta: new Uint8Array(40) } }, 2)).toBe(1824)
  })

  it('property: the body is deterministic JSON that parses back to the same content', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 50_000 }), fc.option(fc.string({ maxLength: 40 }).filter((s) => !/[\u0000-\u001f\u007f]/.test(s)), { nil: undefined }), (size, name) => {
        const chunks = Array.from({ length: Math.ceil(size / 4096) }, (_, i) => (i % 16).toString(16).repeat(64))
        const c = content({ size, chunks, name, mime: undefined })
        expect(manifestBody(c)).toEqual(manifestBody({ ...c }))
        const m = signManifest(owner, c, 5, cryptoRandom)
        const back = openManifest(m.bytes, m.id)
        expect([back.size, back.chunks, back.name]).toEqual([size, chunks, name])
      }),
      { numRuns: 50 },
    )
  })
})

describe('docs/protocol.md §9 matches the code', () => {
  it('documents the body keys in the order the code writes them', async () => {
    const { readFileSync } = await import('node:fs')
    const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8')
    const section = doc.slice(doc.indexOf('### 9.2'), doc.indexOf('### 9.3'))
    const documented = [...section.matchAll(/^\| `([A-Za-z0-9]+)` \|/gm)].map((m) => m[1])
    const m = signManifest(owner, { ...content({ name: undefined, mime: undefined }), expires: 5 }, 1, cryptoRandom)
    const written = Object.keys(JSON.parse(new TextDecoder().decode(m.bytes.subarray(m.bytes.length - manifestBody(m).length))))
    expect(documented.filter((k) => written.includes(k))).toEqual(written)
  })
})
