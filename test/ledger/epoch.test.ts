/** Epoch statements and certificates (src/core/ledger/epoch.ts) and the committee a representative proposes (committee.ts). */
import { describe, expect, it } from 'vitest'
import { codeOf as code } from '../helpers/refusal.js'
import fc from 'fast-check'
import { bytesToHex } from '../../src/core/bytes.js'
import { TOTAL_SUPPLY, parseShells } from '../../src/core/ledger/amount.js'
import type { Committee } from '../../src/core/ledger/certificate.js'
import { EPOCH_WEIGHT_UNIT, epochCommittee } from '../../src/core/ledger/committee.js'
import { checkEpochCertificate, closeEnough, decodeEpochCertificate, decodeEpochStatement, encodeEpochCertificate, encodeEpochStatement, epochProposer, signEpoch } from '../../src/core/ledger/epoch.js'
import type { AccountState } from '../../src/core/ledger/representative.js'
import { testSigner } from '../helpers/keys.js'

const network = new Uint8Array(32).fill(7)
const reps = Array.from({ length: 4 }, () => testSigner('ed25519')).sort((a, b) => (bytesToHex(a.keyId) < bytesToHex(b.keyId) ? -1 : 1))
const equal: Committee = { epoch: 0n, weights: new Map(reps.map((r) => [bytesToHex(r.keyId), TOTAL_SUPPLY / 4n])) }
const next: Committee = { epoch: 1n, weights: new Map(reps.map((r, i) => [bytesToHex(r.keyId), parseShells(String(1_000_000 * (i + 1)))])) }

describe('epoch statements and certificates', () => {
  it('round-trip, one encoding only: members in ascending order, none twice, none weightless, nothing after', () => {
    const statement = encodeEpochStatement(network, next)
    const decoded = decodeEpochStatement(statement)
    expect(decoded.committee).toEqual(next)
    expect(code(() => decodeEpochStatement(Uint8Array.of(...statement, 0)))).toBe('malformed')
    // Swap the first two members: out of order.
    const first = 4 + 1 + 32 + 8 + 2
    const swapped = Uint8Array.from(statement)
    const member = 33 + 8
    swapped.set(statement.subarray(first + member, first + 2 * member), first)
    swapped.set(statement.subarray(first, first + member), first + member)
    expect(code(() => decodeEpochStatement(swapped))).toBe('malformed')
    const zero = Uint8Array.from(statement)
    zero.fill(0, first + 33, first + 41)
    expect(code(() => decodeEpochStatement(zero))).toBe('malformed')
  })

  it('any byte string decodes to a statement or a refusal (malformed, unsupported-version), never another error', () => {
    const statement = encodeEpochStatement(network, next)
    fc.assert(
      fc.property(fc.integer({ min: 0, max: statement.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, value) => {
        const bytes = Uint8Array.from(statement)
        bytes[at] = value
        const c = code(() => decodeEpochStatement(bytes))
        return [undefined, 'malformed', 'unsupported-version'].includes(c)
      }),
    )
  })

  it('a certificate needs more than 2/3 of the previous epoch’s weight, from its members, each vote good', () => {
    const statement = encodeEpochStatement(network, next)
    const votes = reps.map((r) => signEpoch(statement, r))
    const certificate = (n: number, extra: ReturnType<typeof signEpoch>[] = []) => decodeEpochCertificate(encodeEpochCertificate({ network, committee: next, statement, votes: [...extra, ...votes.slice(0, n)] }))
    expect(code(() => checkEpochCertificate(certificate(3), equal, network))).toBeUndefined()
    expect(code(() => checkEpochCertificate(certificate(2), equal, network))).toBe('refused')
    // Outsiders weigh nothing.
    const outsiders = Array.from({ length: 5 }, () => signEpoch(statement, testSigner('ed25519')))
    expect(code(() => checkEpochCertificate(certificate(2, outsiders), equal, network))).toBe('refused')
    const bad = { ...votes[0]!, signature: votes[1]!.signature }
    expect(code(() => checkEpochCertificate(decodeEpochCertificate(encodeEpochCertificate({ network, committee: next, statement, votes: [bad, ...votes.slice(1)] })), equal, network))).toBe('bad-signature')
    // Checked against another epoch's committee, or another network: refused.
    expect(code(() => checkEpochCertificate(certificate(4), { ...equal, epoch: 1n }, network))).toBe('refused')
    expect(code(() => checkEpochCertificate(certificate(4), equal, new Uint8Array(32)))).toBe('refused')
  })

  it('the proposer is the heaviest member (ties: the smallest key id); representatives sign proposals within 1 % of their own view', () => {
    expect(epochProposer(next)).toBe(bytesToHex(reps[3]!.keyId))
    expect(epochProposer(equal)).toBe(bytesToHex(reps[0]!.keyId))
    const near: Committee = { epoch: 1n, weights: new Map([...next.weights].map(([id, w], i) => [id, i === 0 ? w + parseShells('90000') : w])) }
    const far: Committee = { epoch: 1n, weights: new Map([...next.weights].map(([id, w], i) => [id, i === 0 ? w + parseShells('200000') : w])) }
    expect(closeEnough(next, near)).toBe(true)
    expect(closeEnough(next, far)).toBe(false)
  })
})

describe('the committee a representative computes for the next epoch', () => {
  const treasury = testSigner('secp256k1')
  const alice = testSigner('secp256k1')
  const genesisReps = reps.map((r) => bytesToHex(r.keyId))
  const federation = { treasury: bytesToHex(treasury.keyId), genesisRepresentative: genesisReps[0]!, representatives: genesisReps }
  const account = (balance: bigint, representative: Uint8Array): AccountState => ({ height: 1n, head: new Uint8Array(32), balance, representative })

  it('the treasury’s weight is shared by the bootstrap representatives until it delegates elsewhere; weights round down to 0.01 %', () => {
    const accounts = new Map([
      [bytesToHex(treasury.keyId), account(TOTAL_SUPPLY - parseShells('1000000'), reps[0]!.keyId)],
      [bytesToHex(alice.keyId), account(parseShells('1000000'), reps[2]!.keyId)],
    ])
    const c = epochCommittee(accounts, 1n, federation)
    expect(c.weights.get(genesisReps[1]!)).toBe(parseShells('4750000'))
    expect(c.weights.get(genesisReps[2]!)).toBe(parseShells('5750000'))
    for (const w of c.weights.values()) expect(w % EPOCH_WEIGHT_UNIT).toBe(0n)
    // The treasury delegates to rep 3: the federation ends.
    accounts.set(bytesToHex(treasury.keyId), account(TOTAL_SUPPLY - parseShells('1000000'), reps[3]!.keyId))
    const after = epochCommittee(accounts, 1n, federation)
    expect([...after.weights.keys()].sort()).toEqual([genesisReps[2]!, genesisReps[3]!].sort())
  })
})
