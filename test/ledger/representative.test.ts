/**
 * Each representative rule in isolation (docs/ledger.md), on a committee of
 * four equal representatives: wrong predecessor, wrong height, insufficient
 * balance, a second block at one height (and the fork it proves), a receive
 * without a valid send certificate, a stale epoch; and certificates.
 */
import { describe, expect, it } from 'vitest'
import type { BorgError } from '../../src/core/errors.js'
import { bytesToHex } from '../../src/core/bytes.js'
import { sha256 } from '../../src/core/crypto/hash.js'
import { BASE_UNITS_PER_SHELL, TOTAL_SUPPLY } from '../../src/core/ledger/amount.js'
import { signBlock, type SignedBlock, type UnsignedBlock } from '../../src/core/ledger/block.js'
import { checkCertificate, decodeCertificate, encodeCertificate, signVote, type Certificate, type Committee } from '../../src/core/ledger/certificate.js'
import { Representative, type LedgerParams, type Source } from '../../src/core/ledger/representative.js'
import { testSigner } from '../helpers/keys.js'

const SHELL = BASE_UNITS_PER_SHELL
const params: LedgerParams = { network: sha256(new TextEncoder().encode('test network')), addressVersion: 0x1e }
const reps = Array.from({ length: 4 }, () => testSigner('ed25519'))
const committee: Committee = { epoch: 1n, weights: new Map(reps.map((r) => [bytesToHex(r.keyId), 5_000_000n * SHELL])) }
const treasury = testSigner('secp256k1')
const alice = testSigner('secp256k1')

/** Each representative's key (a representative signs its votes in batches: signVotes). */
const signerOf = new Map<Representative, ReturnType<typeof testSigner>>()

function make(epoch = 1n) {
  let current = epoch
  const representatives = reps.map((key) => {
    const r = new Representative(params, { current: () => current, committee: (e) => (e === 1n || e === 2n ? { ...committee, epoch: e } : undefined) })
    signerOf.set(r, key)
    return r
  })
  const genesis = signBlock(block(treasury, { op: 'open', height: 0n, previous: new Uint8Array(32), source: new Uint8Array(32), amount: TOTAL_SUPPLY, balance: TOTAL_SUPPLY }), treasury)
  for (const r of representatives) r.ledger.openTreasury(genesis)
  return { representatives, genesis, setEpoch: (e: bigint) => void (current = e) }
}

function block(owner: ReturnType<typeof testSigner>, fields: Partial<UnsignedBlock>): UnsignedBlock {
  return { network: params.network, account: owner.keyId, height: 1n, previous: new Uint8Array(32), balance: 0n, representative: reps[0]!.keyId, timestamp: 1_700_000_000_000, op: 'delegate', ...fields } as UnsignedBlock
}

const addressOf = (r: Representative, who: ReturnType<typeof testSigner>) => r.ledger.addressOf(who.keyId)

/** Votes of the given representatives, as a certificate. */
function certify(representatives: Representative[], signed: SignedBlock, source?: Source, epoch = 1n): Certificate {
  const votes = representatives.map((r) => signVote(r.vote(signed, epoch, source), signerOf.get(r)!))
  return { network: params.network, epoch, account: signed.block.account, height: signed.block.height, block: signed.id, votes }
}

const refusal = (f: () => unknown): string => {
  try {
    f()
    return 'voted'
  } catch (e) {
    return `${(e as BorgError).code}: ${(e as Error).message}`
  }
}

/** The treasury sends `amount` to Alice; three representatives certify it and all apply it. */
function treasurySend(ctx: ReturnType<typeof make>, amount: bigint): { send: SignedBlock; certificate: Certificate } {
  const r0 = ctx.representatives[0]!
  const send = signBlock(
    block(treasury, { op: 'send', height: 1n, previous: ctx.genesis.id, balance: TOTAL_SUPPLY - amount, destination: addressOf(r0, alice), amount, memo: '' } as Partial<UnsignedBlock>),
    treasury,
  )
  const certificate = certify(ctx.representatives.slice(0, 3), send)
  for (const r of ctx.representatives) r.apply(send, certificate)
  return { send, certificate }
}

describe('a representative votes only for the next block of a certified chain', () => {
  it('refuses a wrong predecessor and a wrong height', () => {
    const ctx = make()
    const r = ctx.representatives[0]!
    const wrongPrev = signBlock(block(treasury, { op: 'delegate', height: 1n, previous: sha256(Uint8Array.of(9)), balance: TOTAL_SUPPLY }), treasury)
    expect(refusal(() => r.vote(wrongPrev, 1n))).toMatch(/^refused: wrong predecessor/)
    const wrongHeight = signBlock(block(treasury, { op: 'delegate', height: 2n, previous: ctx.genesis.id, balance: TOTAL_SUPPLY }), treasury)
    expect(refusal(() => r.vote(wrongHeight, 1n))).toMatch(/^refused: wrong height 2/)
    const right = signBlock(block(treasury, { op: 'delegate', height: 1n, previous: ctx.genesis.id, balance: TOTAL_SUPPLY }), treasury)
    expect(refusal(() => r.vote(right, 1n))).toBe('voted')
  })

  it('refuses a send of more than the balance, and a balance that does not follow', () => {
    const ctx = make()
    const { send, certificate } = treasurySend(ctx, 10n * SHELL)
    const r = ctx.representatives[0]!
    const open = signBlock(block(alice, { op: 'open', height: 0n, previous: new Uint8Array(32), source: send.id, amount: 10n * SHELL, balance: 10n * SHELL } as Partial<UnsignedBlock>), alice)
    r.apply(open, certify(ctx.representatives.slice(0, 3), open, { send, certificate }), { send, certificate })
    const tooMuch = signBlock(block(alice, { op: 'send', height: 1n, previous: open.id, balance: 0n, destination: addressOf(r, treasury), amount: 11n * SHELL, memo: '' } as Partial<UnsignedBlock>), alice)
    expect(refusal(() => r.vote(tooMuch, 1n))).toMatch(/^refused: insufficient balance/)
    const badBalance = signBlock(block(alice, { op: 'send', height: 1n, previous: open.id, balance: 5n * SHELL, destination: addressOf(r, treasury), amount: 1n * SHELL, memo: '' } as Partial<UnsignedBlock>), alice)
    expect(refusal(() => r.vote(badBalance, 1n))).toMatch(/^refused: balance .* does not follow/)
  })

  it('votes once per (account, height): a second block there is refused and freezes the account (a fork proof)', () => {
    const ctx = make()
    const r = ctx.representatives[0]!
    const a = signBlock(block(treasury, { op: 'delegate', height: 1n, previous: ctx.genesis.id, balance: TOTAL_SUPPLY }), treasury)
    const b = signBlock(block(treasury, { op: 'delegate', height: 1n, previous: ctx.genesis.id, balance: TOTAL_SUPPLY, representative: reps[1]!.keyId }), treasury)
    expect(refusal(() => r.vote(a, 1n))).toBe('voted')
    expect(refusal(() => r.vote(a, 1n))).toBe('voted') // the same block again: the same answer
    expect(refusal(() => r.vote(b, 1n))).toMatch(/^refused: fork: the owner signed two blocks at height 1/)
    expect(refusal(() => r.vote(a, 1n))).toMatch(/^refused: account .* is frozen/)
    expect(r.frozen.get(bytesToHex(treasury.keyId))?.blocks.map((x) => bytesToHex(x.id))).toEqual([bytesToHex(a.id), bytesToHex(b.id)])
  })

  it('refuses a receive without a valid certificate of the send it names', () => {
    const ctx = make()
    const r = ctx.representatives[3]!
    const { send, certificate } = treasurySend(ctx, 10n * SHELL)
    const open = signBlock(block(alice, { op: 'open', height: 0n, previous: new Uint8Array(32), source: send.id, amount: 10n * SHELL, balance: 10n * SHELL } as Partial<UnsignedBlock>), alice)
    expect(refusal(() => r.vote(open, 1n))).toMatch(/^refused: a receive needs the send/)
    const twoVotes = { ...certificate, votes: certificate.votes.slice(0, 2) }
    expect(refusal(() => r.vote(open, 1n, { send, certificate: twoVotes }))).toMatch(/^refused: certificate holds .* more than 2\/3 is needed/)
    const duplicated = { ...certificate, votes: [certificate.votes[0]!, certificate.votes[0]!, certificate.votes[1]!] }
    expect(refusal(() => r.vote(open, 1n, { send, certificate: duplicated }))).toMatch(/^refused: certificate holds/)
    const forged = { ...certificate, votes: certificate.votes.map((v, i) => (i === 0 ? { ...v, signature: v.signature.map((x, j) => (j === 0 ? x ^ 1 : x)) } : v)) }
    expect(refusal(() => r.vote(open, 1n, { send, certificate: forged }))).toMatch(/^bad-signature/)
    const other = signBlock(block(treasury, { op: 'delegate', height: 2n, previous: send.id, balance: send.block.balance }), treasury)
    expect(refusal(() => r.vote(open, 1n, { send: other, certificate }))).toMatch(/^refused: the certificate is for another block/)
    const greedy = signBlock(block(alice, { op: 'open', height: 0n, previous: new Uint8Array(32), source: send.id, amount: 11n * SHELL, balance: 11n * SHELL } as Partial<UnsignedBlock>), alice)
    expect(refusal(() => r.vote(greedy, 1n, { send, certificate }))).toMatch(/^refused: the send gave/)
    const thief = testSigner('secp256k1')
    const stolen = signBlock(block(thief, { op: 'open', height: 0n, previous: new Uint8Array(32), source: send.id, amount: 10n * SHELL, balance: 10n * SHELL } as Partial<UnsignedBlock>), thief)
    expect(refusal(() => r.vote(stolen, 1n, { send, certificate }))).toMatch(/^refused: the send is addressed to another account/)
    expect(refusal(() => r.vote(open, 1n, { send, certificate }))).toBe('voted')
  })

  it('receives a send once', () => {
    const ctx = make()
    const { send, certificate } = treasurySend(ctx, 10n * SHELL)
    const source = { send, certificate }
    const open = signBlock(block(alice, { op: 'open', height: 0n, previous: new Uint8Array(32), source: send.id, amount: 10n * SHELL, balance: 10n * SHELL } as Partial<UnsignedBlock>), alice)
    const openCert = certify(ctx.representatives.slice(1), open, source)
    for (const r of ctx.representatives) r.apply(open, openCert, source)
    const again = signBlock(block(alice, { op: 'receive', height: 1n, previous: open.id, source: send.id, amount: 10n * SHELL, balance: 20n * SHELL } as Partial<UnsignedBlock>), alice)
    expect(refusal(() => ctx.representatives[0]!.vote(again, 1n, source))).toMatch(/^refused: that send was received already/)
    for (const r of ctx.representatives) expect(r.ledger.supply()).toBe(TOTAL_SUPPLY)
  })

  it('votes only in the current epoch', () => {
    const ctx = make()
    const r = ctx.representatives[0]!
    const next = signBlock(block(treasury, { op: 'delegate', height: 1n, previous: ctx.genesis.id, balance: TOTAL_SUPPLY }), treasury)
    ctx.setEpoch(2n)
    expect(refusal(() => r.vote(next, 1n))).toMatch(/^refused: votes are for epoch 2, not 1/)
    expect(refusal(() => r.vote(next, 2n))).toBe('voted')
  })
})

describe('certificates', () => {
  it('need more than 2/3 of the weight; encode and decode exactly', () => {
    const ctx = make()
    const { send, certificate } = treasurySend(ctx, SHELL)
    expect(() => checkCertificate(certificate, committee, params.network)).not.toThrow()
    const decoded = decodeCertificate(encodeCertificate(certificate))
    expect(bytesToHex(encodeCertificate(decoded))).toBe(bytesToHex(encodeCertificate(certificate)))
    expect(() => checkCertificate({ ...certificate, votes: certificate.votes.slice(0, 2) }, committee, params.network)).toThrow(/more than 2\/3/)
    expect(() => checkCertificate(certificate, { ...committee, epoch: 2n }, params.network)).toThrow(/epoch 1, checked against epoch 2/)
    expect(() => decodeCertificate(Uint8Array.from([...encodeCertificate(certificate), 0]))).toThrow(/trailing/)
    expect(send.block.op).toBe('send')
  })
})
