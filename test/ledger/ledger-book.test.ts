/** One node's ledger book (src/cells/ledger/ledger-book.ts): offences caught and kept, and rebuilt from its records. */
import { describe, expect, it } from 'vitest'
import { bytesToHex } from '../../src/core/bytes.js'
import { MAINNET, p2pkhAddress } from '../../src/core/identity/address.js'
import { parseShells } from '../../src/core/ledger/amount.js'
import { buildSend } from '../../src/core/ledger/chain.js'
import { encodeCertificate, signVote, votesFromBatch } from '../../src/core/ledger/certificate.js'
import type { SignedBlock } from '../../src/core/ledger/block.js'
import { createGenesis } from '../../src/core/ledger/genesis.js'
import { LedgerBook } from '../../src/cells/ledger/ledger-book.js'
import type { StoredRecord } from '../../src/cells/ledger/ledger-store.js'
import { testSigner } from '../helpers/keys.js'

const treasury = testSigner('secp256k1')
const reps = Array.from({ length: 4 }, () => testSigner('ed25519'))
const { genesis, block: opening } = createGenesis({ name: 'book test', created: 1_700_000_000_000, addressVersion: MAINNET.p2pkh, representatives: reps.map((r) => r.keyId) }, treasury)

const certified = (signed: SignedBlock, voters: number[]) => {
  const statement = { network: genesis.id, epoch: 0n, account: signed.block.account, height: signed.block.height, block: signed.id }
  return { block: bytesToHex(signed.bytes), certificate: bytesToHex(encodeCertificate({ ...statement, votes: voters.map((i) => signVote(statement, reps[i]!)) })) }
}

describe('the ledger book', () => {
  it('a second block certified at one height is an offence of the representatives that voted for both: kept, served, never applied', () => {
    const book = new LedgerBook(genesis, opening, reps[0]!)
    const ctx = { network: genesis.id, addressNetwork: MAINNET, signer: treasury, now: () => 1_700_000_001_000 }
    const head = { height: 0n, id: opening.id, balance: opening.block.balance, representative: opening.block.representative }
    const a = buildSend(ctx, head, p2pkhAddress(testSigner('secp256k1').publicKey), parseShells('5'))
    const b = buildSend(ctx, head, p2pkhAddress(testSigner('secp256k1').publicKey), parseShells('7'))
    const records: StoredRecord[] = []
    const first = book.confirm(certified(a, [0, 1, 2]))
    expect(first.outcome).toBe('applied')
    records.push(...first.records)
    // Representatives 1 and 2 also voted for b, and 3 with them: a quorum for another block at height 1.
    const second = book.confirm(certified(b, [1, 2, 3]))
    records.push(...second.records)
    expect(second.records.map((r) => r.type)).toEqual(['offence'])
    expect(book.offencesKnown()[0]!.culprits.sort()).toEqual([bytesToHex(reps[1]!.keyId), bytesToHex(reps[2]!.keyId)].sort())
    expect(book.account({ account: treasury.keyId }, () => '').head!.block).toBe(bytesToHex(a.bytes))
    // A certificate without a quorum for the other block proves nothing and is refused.
    expect(() => book.confirm(certified(b, [3]))).toThrow(/more than 2\/3|holds/)
    // Rebuilt from its records, a book has the same offences and the same head.
    const again = new LedgerBook(genesis, opening, reps[0]!)
    for (const r of records) again.replay(r)
    expect(again.offenceCount).toBe(1)
    expect(again.account({ account: treasury.keyId }, () => '').head!.block).toBe(bytesToHex(a.bytes))
  })

  it('knows its own vote without checking it only for the block and epoch it gave it: copied onto another block it fails', () => {
    const book = new LedgerBook(genesis, opening, reps[0]!)
    const ctx = { network: genesis.id, addressNetwork: MAINNET, signer: treasury, now: () => 1_700_000_001_000 }
    const head = { height: 0n, id: opening.id, balance: opening.block.balance, representative: opening.block.representative }
    const a = buildSend(ctx, head, p2pkhAddress(testSigner('secp256k1').publicKey), parseShells('5'))
    const b = buildSend(ctx, head, p2pkhAddress(testSigner('secp256k1').publicKey), parseShells('7'))
    const { results, signature } = book.vote([{ block: bytesToHex(a.bytes) }])
    expect(results).toEqual([{ voted: true }])
    const statementOf = (s: SignedBlock) => ({ network: genesis.id, epoch: 0n, account: s.block.account, height: s.block.height, block: s.id })
    const [own] = votesFromBatch([statementOf(a)], reps[0]!.keyId, signature!)!
    // Its own vote for a, copied into a certificate for b with two honest votes for b: the copy is checked, and fails.
    const forged = { ...statementOf(b), votes: [own!, signVote(statementOf(b), reps[1]!), signVote(statementOf(b), reps[2]!)] }
    expect(() => book.confirm({ block: bytesToHex(b.bytes), certificate: bytesToHex(encodeCertificate(forged)) })).toThrow(/bad vote/)
    // The certificate for a with that vote is taken (the vote known, byte for byte).
    const real = { ...statementOf(a), votes: [own!, signVote(statementOf(a), reps[1]!), signVote(statementOf(a), reps[2]!)] }
    expect(book.confirm({ block: bytesToHex(a.bytes), certificate: bytesToHex(encodeCertificate(real)) }).outcome).toBe('applied')
  })
})
