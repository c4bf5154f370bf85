/** The owner's chain builder (src/core/ledger/chain.ts): every block it signs is one the representatives take. */
import { describe, expect, it } from 'vitest'
import { codeOf as code } from '../helpers/refusal.js'
import { sha256 } from '../../src/core/crypto/hash.js'
import { MAINNET, p2pkhAddress } from '../../src/core/identity/address.js'
import { parseShells, TOTAL_SUPPLY } from '../../src/core/ledger/amount.js'
import { buildDelegate, buildReceive, buildSend, type ChainContext, type Head } from '../../src/core/ledger/chain.js'
import { signVote, type Certificate, type Committee } from '../../src/core/ledger/certificate.js'
import { createGenesis, genesisCommittee } from '../../src/core/ledger/genesis.js'
import { Representative } from '../../src/core/ledger/representative.js'
import type { SignedBlock } from '../../src/core/ledger/block.js'
import { testSigner } from '../helpers/keys.js'

const treasury = testSigner('secp256k1')
const alice = testSigner('secp256k1')
const reps = Array.from({ length: 4 }, () => testSigner('ed25519'))
const { genesis, block: opening } = createGenesis({ name: 'chain test', created: 1_700_000_000_000, addressVersion: MAINNET.p2pkh, representatives: reps.map((r) => r.keyId) }, treasury)
const committee: Committee = genesisCommittee(genesis)

describe('the owner builds blocks the representatives take', () => {
  it('send, receive (opening the account), delegate: each voted by every representative and certified', () => {
    const representatives = reps.map(() => new Representative({ network: genesis.id, addressVersion: MAINNET.p2pkh }, { current: () => 0n, committee: (e) => (e === 0n ? committee : undefined) }))
    for (const r of representatives) r.ledger.openTreasury(opening)
    const certify = (signed: SignedBlock, source?: { send: SignedBlock; certificate: Certificate }) => {
      const certificate: Certificate = { network: genesis.id, epoch: 0n, account: signed.block.account, height: signed.block.height, block: signed.id, votes: representatives.map((r, i) => signVote(r.vote(signed, 0n, source), reps[i]!)) }
      for (const r of representatives) r.apply(signed, certificate, source)
      return certificate
    }
    const head = (s: SignedBlock): Head => ({ height: s.block.height, id: s.id, balance: s.block.balance, representative: s.block.representative })
    const ctx = (signer: typeof alice): ChainContext => ({ network: genesis.id, addressNetwork: MAINNET, signer, now: () => 1_700_000_001_000 })

    const send = buildSend(ctx(treasury), head(opening), p2pkhAddress(alice.publicKey), parseShells('12.5'), 'hello')
    const sendCert = certify(send)
    const open = buildReceive(ctx(alice), undefined, send.id, parseShells('12.5'), reps[1]!.keyId)
    expect(open.block.op).toBe('open')
    certify(open, { send, certificate: sendCert })
    const delegate = buildDelegate(ctx(alice), head(open), reps[2]!.keyId)
    certify(delegate)
    const back = buildSend(ctx(alice), head(delegate), p2pkhAddress(treasury.publicKey), parseShells('2.5'))
    certify(back)
    for (const r of representatives) {
      expect(r.ledger.supply()).toBe(TOTAL_SUPPLY)
      expect(r.ledger.accounts.get(Buffer.from(alice.keyId).toString('hex'))!.balance).toBe(parseShells('10'))
    }
  })

  it('refuses to build what the representatives would refuse', () => {
    const ctx: ChainContext = { network: genesis.id, addressNetwork: MAINNET, signer: alice, now: () => 0 }
    const head: Head = { height: 0n, id: sha256(Uint8Array.of(1)), balance: parseShells('1'), representative: reps[0]!.keyId }
    expect(code(() => buildSend(ctx, head, p2pkhAddress(treasury.publicKey), parseShells('1.000000001')))).toBe('refused')
    expect(code(() => buildSend(ctx, head, 'not-an-address', 1n))).toBe('invalid-input')
    expect(code(() => buildSend(ctx, head, p2pkhAddress(treasury.publicKey), 0n))).toBe('invalid-input')
    expect(code(() => buildSend(ctx, undefined, p2pkhAddress(treasury.publicKey), 1n))).toBe('not-found')
    expect(code(() => buildDelegate(ctx, undefined, reps[0]!.keyId))).toBe('not-found')
  })
})
