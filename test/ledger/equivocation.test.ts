/** A representative's two votes at one (account, height): a proof anyone can check (certificate.ts checkEquivocation). */
import { describe, expect, it } from 'vitest'
import { bytesToHex } from '../../src/core/bytes.js'
import { sha256 } from '../../src/core/crypto/hash.js'
import { checkEquivocation, signVote, signVotes, type VoteStatement } from '../../src/core/ledger/certificate.js'
import { testSigner } from '../helpers/keys.js'

const rep = testSigner('ed25519')
const other = testSigner('ed25519')
const owner = testSigner('secp256k1')
const base: VoteStatement = { network: sha256(Uint8Array.of(1)), epoch: 3n, account: owner.keyId, height: 5n, block: sha256(Uint8Array.of(2)) }
const second: VoteStatement = { ...base, block: sha256(Uint8Array.of(3)) }

describe('an equivocation proof', () => {
  it('names the representative that voted for two blocks at one height', () => {
    expect(checkEquivocation({ statement: base, vote: signVote(base, rep) }, { statement: second, vote: signVote(second, rep) })).toBe(bytesToHex(rep.keyId))
  })

  it('holds for votes signed in batches (each with its path to its batch root)', () => {
    const others = [5n, 6n, 7n].map((height): VoteStatement => ({ ...base, height }))
    const inFirst = signVotes([...others, base], rep)[3]!
    const inSecond = signVotes([second, ...others], rep)[0]!
    expect(inFirst.path.length).toBe(2)
    expect(checkEquivocation({ statement: base, vote: inFirst }, { statement: second, vote: inSecond })).toBe(bytesToHex(rep.keyId))
  })

  it('proves nothing for the same block, another height, another representative, or a forged vote', () => {
    const a = { statement: base, vote: signVote(base, rep) }
    expect(() => checkEquivocation(a, a)).toThrow(/same block/)
    const higher = { ...second, height: 6n }
    expect(() => checkEquivocation(a, { statement: higher, vote: signVote(higher, rep) })).toThrow(/different places/)
    expect(() => checkEquivocation(a, { statement: second, vote: signVote(second, other) })).toThrow(/different representatives/)
    const forged = { statement: second, vote: { ...signVote(second, other), representative: rep.keyId } }
    expect(() => checkEquivocation(a, forged)).toThrow(/not signed/)
  })
})
