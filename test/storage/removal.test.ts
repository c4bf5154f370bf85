import { describe, expect, it } from 'vitest'
import { openRemoval, removes, signRemoval, REMOVAL_KIND } from '../../src/core/storage/removal.js'
import { sealToBytes } from '../../src/core/envelope/seal.js'
import { BodyType } from '../../src/core/wire/message.js'
import { utf8, bytesToHex } from '../../src/core/bytes.js'
import { cryptoRandom } from '../../src/core/crypto/random.js'
import { testSigner } from '../helpers/keys.js'

const owner = testSigner('secp256k1')
const id = 'ab'.repeat(32)

describe('removal', () => {
  it('round-trips: id, owner, time, bytes', () => {
    const r = signRemoval(owner, id, 1_700_000_000_000, cryptoRandom)
    const opened = openRemoval(r.bytes, id)
    expect(opened).toMatchObject({ id, owner: bytesToHex(owner.keyId), at: 1_700_000_000_000 })
  })

  it('removes only the owner\u2019s manifest of that file, and not a newer one', () => {
    const r = signRemoval(owner, id, 2000, cryptoRandom)
    const mine = { id, owner: bytesToHex(owner.keyId), created: 1000 }
    expect(removes(r, mine)).toBe(true)
    expect(removes(r, { ...mine, created: 3000 })).toBe(false)
    expect(removes(r, { ...mine, owner: bytesToHex(testSigner('secp256k1').keyId) })).toBe(false)
    expect(removes(r, { ...mine, id: 'cd'.repeat(32) })).toBe(false)
  })

  it('refuses tampered bytes, another kind, a loose body and the wrong id', () => {
    const r = signRemoval(owner, id, 2000, cryptoRandom)
    const tampered = Uint8Array.from(r.bytes)
    tampered[tampered.length - 3]! ^= 1
    expect(() => openRemoval(tampered)).toThrow()
    const seal = (kind: string, body: unknown) => sealToBytes(owner, { kind, body: utf8.encode(JSON.stringify(body)), bodyType: BodyType.json }, { timestamp: 1, random: cryptoRandom })
    expect(() => openRemoval(seal('shard.manifest', { v: 1, id }))).toThrow(/not a removal/)
    expect(() => openRemoval(seal(REMOVAL_KIND, { v: 1, id, extra: 1 }))).toThrow(/exactly/)
    expect(() => openRemoval(seal(REMOVAL_KIND, { v: 1, id: '../../etc/passwd' }))).toThrow(/exactly/)
    expect(() => openRemoval(r.bytes, 'cd'.repeat(32))).toThrow(/not/)
    expect(() => signRemoval(owner, 'nope', 1, cryptoRandom)).toThrow(/file id/)
  })
})
