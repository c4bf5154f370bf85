/** Batch-signed votes (certificate.ts, docs/protocol.md §11.1): one signature over a Merkle root, a path per vote. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { sha256 } from '../../src/core/crypto/hash.js'
import { decodeCertificate, encodeCertificate, MAX_BATCH, pathLength, signVotes, verifyVote, votesFromBatch, type VoteStatement } from '../../src/core/ledger/certificate.js'
import { testSigner } from '../helpers/keys.js'

const rep = testSigner('ed25519')
const stranger = testSigner('ed25519')
const owner = testSigner('secp256k1')
const network = sha256(Uint8Array.of(7))
const statementAt = (i: number): VoteStatement => ({ network, epoch: 2n, account: owner.keyId, height: BigInt(i), block: sha256(Uint8Array.of(i & 0xff, i >> 8)) })

describe('batch-signed votes', () => {
  it('every vote of a batch of any size verifies on its own, and survives a certificate round trip', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_BATCH }), fc.nat(), (size, pick) => {
        const statements = Array.from({ length: size }, (_, i) => statementAt(i))
        const votes = signVotes(statements, rep)
        const i = pick % size
        const vote = votes[i]!
        expect(vote.path.length).toBe(pathLength(size, i))
        expect(vote.path.length).toBeLessThanOrEqual(8)
        expect(verifyVote(statements[i]!, vote)).toBe(true)
        const certificate = { ...statements[i]!, votes: [vote] }
        expect(decodeCertificate(encodeCertificate(certificate))).toEqual(certificate)
      }),
      { numRuns: 60 },
    )
  })

  it('a vote fails for another statement, a moved position, a changed path, another size or signer', () => {
    const statements = Array.from({ length: 5 }, (_, i) => statementAt(i))
    const votes = signVotes(statements, rep)
    const vote = votes[2]!
    expect(verifyVote(statements[3]!, vote)).toBe(false)
    expect(verifyVote(statements[2]!, { ...vote, index: 3 })).toBe(false)
    expect(verifyVote(statements[2]!, { ...vote, path: [vote.path[1]!, vote.path[0]!, vote.path[2]!] })).toBe(false)
    expect(verifyVote(statements[2]!, { ...vote, size: 6 })).toBe(false) // the size is signed too
    expect(verifyVote(statements[2]!, { ...vote, size: 0 })).toBe(false)
    expect(verifyVote(statements[2]!, { ...vote, representative: stranger.keyId })).toBe(false)
    const badSignature = Uint8Array.from(vote.signature)
    badSignature[5]! ^= 1
    expect(verifyVote(statements[2]!, { ...vote, signature: badSignature })).toBe(false)
  })

  it('a client rebuilds the votes from the batch signature alone, and refuses one that does not verify', () => {
    const statements = Array.from({ length: 9 }, (_, i) => statementAt(i))
    const signed = signVotes(statements, rep)
    const rebuilt = votesFromBatch(statements, rep.keyId, signed[0]!.signature)!
    expect(rebuilt).toEqual(signed)
    expect(votesFromBatch(statements.slice(1), rep.keyId, signed[0]!.signature)).toBeUndefined()
    expect(votesFromBatch(statements, stranger.keyId, signed[0]!.signature)).toBeUndefined()
  })

  it('decoding refuses a position outside its batch, a batch above the bound, a short path', () => {
    const statements = Array.from({ length: 3 }, (_, i) => statementAt(i))
    const vote = signVotes(statements, rep)[0]!
    const bytes = encodeCertificate({ ...statements[0]!, votes: [vote] })
    const statementBytes = bytes.length - (rep.keyId.length + 4 + 32 * vote.path.length + 64) - 2
    const at = statementBytes + 2 + rep.keyId.length
    const withPosition = (size: number, index: number) => {
      const copy = Uint8Array.from(bytes)
      copy.set([size >> 8, size & 0xff, index >> 8, index & 0xff], at)
      return copy
    }
    expect(() => decodeCertificate(withPosition(3, 3))).toThrow(/position 3 in a batch of 3/)
    expect(() => decodeCertificate(withPosition(MAX_BATCH + 1, 0))).toThrow(/batches hold 1 to 256/)
    expect(() => decodeCertificate(withPosition(0, 0))).toThrow(/batch of 0/)
    expect(() => decodeCertificate(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/)
    expect(() => decodeCertificate(withPosition(3, 2))).toThrow(/trailing bytes/) // position 2 of 3 has a path of 1 hash, not 2
  })
})
