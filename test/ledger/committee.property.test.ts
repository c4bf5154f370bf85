/**
 * Property test of the ledger rules on a simulated committee (docs/ledger.md):
 * four equal representatives, one of them Byzantine (it votes for anything
 * correctly signed, conflicting blocks included); honest clients moving
 * Shells among five accounts; an adversary who signs two different sends at
 * one height and shows each to a different half of the committee. Requests
 * reach random subsets of representatives in random order; certificates reach
 * random subsets too (the rest catch up from the certificate log later).
 * Invariants: never two certificates for one (account, height); every
 * certified send received at most once; balances plus sends in flight are the
 * supply at every honest representative; and once delivery heals, every
 * honest transfer is certified and received.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { bytesToHex } from '../../src/core/bytes.js'
import { sha256 } from '../../src/core/crypto/hash.js'
import { BASE_UNITS_PER_SHELL, TOTAL_SUPPLY } from '../../src/core/ledger/amount.js'
import { signBlock, type SignedBlock, type UnsignedBlock } from '../../src/core/ledger/block.js'
import { checkCertificate, signVote, type Certificate, type Committee, type Vote } from '../../src/core/ledger/certificate.js'
import { Representative, type LedgerParams, type Source } from '../../src/core/ledger/representative.js'
import { testSigner } from '../helpers/keys.js'

const SHELL = BASE_UNITS_PER_SHELL
const params: LedgerParams = { network: sha256(new TextEncoder().encode('committee property test')), addressVersion: 0x1e }
const repKeys = Array.from({ length: 4 }, () => testSigner('ed25519'))
const BYZANTINE = 3
const committee: Committee = { epoch: 1n, weights: new Map(repKeys.map((r) => [bytesToHex(r.keyId), 5_000_000n * SHELL])) }
const epochs = { current: () => 1n, committee: (e: bigint) => (e === 1n ? committee : undefined) }
const owners = Array.from({ length: 5 }, () => testSigner('secp256k1')) // 0: treasury, 4: the adversary
const ADVERSARY = 4

type Signer = ReturnType<typeof testSigner>

interface Client {
  key: Signer
  head?: { height: bigint; id: Uint8Array; balance: bigint }
  pending?: { block: SignedBlock; source?: Source }
  /** Certified sends to this account not yet taken by a certified receive. */
  inbox: Source[]
}

type Step =
  | { kind: 'transfer'; from: number; to: number; shells: number }
  | { kind: 'receive'; who: number }
  | { kind: 'deliver'; who: number; reach: number[]; applyAt: number[] }
  | { kind: 'sync'; rep: number }
  | { kind: 'attack'; half: number[] }

const reps = fc.subarray([0, 1, 2, 3])
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('transfer' as const), from: fc.integer({ min: 0, max: 3 }), to: fc.integer({ min: 0, max: 4 }), shells: fc.integer({ min: 1, max: 50 }) }),
  fc.record({ kind: fc.constant('receive' as const), who: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ kind: fc.constant('deliver' as const), who: fc.integer({ min: 0, max: 3 }), reach: fc.shuffledSubarray([0, 1, 2, 3]), applyAt: reps }),
  fc.record({ kind: fc.constant('sync' as const), rep: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ kind: fc.constant('attack' as const), half: reps }),
)

/** Certificates formed over all runs, so the test shows it exercised something. */
let certified = 0

function run(steps: Step[]): void {
  const honest = [0, 1, 2].map(() => new Representative(params, epochs))
  const byzantineVote = (signed: SignedBlock): Vote =>
    signVote({ network: params.network, epoch: 1n, account: signed.block.account, height: signed.block.height, block: signed.id }, repKeys[BYZANTINE]!)
  const clients: Client[] = owners.map((key) => ({ key, inbox: [] }))
  const log: { block: SignedBlock; certificate: Certificate; source?: Source }[] = []
  const certifiedAt = new Map<string, string>()
  const receivedSends = new Set<string>()
  const applied = honest.map(() => 0)

  const genesis = signBlock(unsigned(owners[0]!, { op: 'open', height: 0n, previous: new Uint8Array(32), source: new Uint8Array(32), amount: TOTAL_SUPPLY, balance: TOTAL_SUPPLY }), owners[0]!)
  for (const r of honest) r.ledger.openTreasury(genesis)
  clients[0]!.head = { height: 0n, id: genesis.id, balance: TOTAL_SUPPLY }
  const addressOf = (i: number) => honest[0]!.ledger.addressOf(owners[i]!.keyId)

  /** Catch a representative up from the log (as from its peers: each certificate checked). */
  const sync = (i: number) => {
    for (; applied[i]! < log.length; applied[i]!++) {
      const e = log[applied[i]!]!
      try {
        honest[i]!.apply(e.block, e.certificate, e.source)
      } catch {
        // applied already through a direct delivery
      }
    }
  }

  /** Ask representatives (in order) for votes; certify on a quorum. */
  const ask = (signed: SignedBlock, source: Source | undefined, reach: number[]): Certificate | undefined => {
    const votes: Vote[] = []
    for (const i of reach) {
      if (i === BYZANTINE) votes.push(byzantineVote(signed))
      else {
        try {
          votes.push(signVote(honest[i]!.vote(signed, 1n, source), repKeys[i]!))
        } catch {
          // refused: behind, a conflicting vote, frozen …
        }
      }
    }
    const certificate: Certificate = { network: params.network, epoch: 1n, account: signed.block.account, height: signed.block.height, block: signed.id, votes }
    try {
      checkCertificate(certificate, committee, params.network) // what every representative checks before applying
    } catch {
      return undefined
    }
    const slot = `${bytesToHex(signed.block.account)}:${signed.block.height}`
    const before = certifiedAt.get(slot)
    expect(before === undefined || before === bytesToHex(signed.id), `two certificates at ${slot}`).toBe(true)
    certifiedAt.set(slot, bytesToHex(signed.id))
    if (source) {
      const sendId = bytesToHex(source.send.id)
      expect(receivedSends.has(sendId), `send ${sendId} received twice`).toBe(false)
      receivedSends.add(sendId)
    }
    log.push({ block: signed, certificate, source })
    return certificate
  }

  const settle = (c: Client, signed: SignedBlock, certificate: Certificate, source: Source | undefined, applyAt: number[]) => {
    c.head = { height: signed.block.height, id: signed.id, balance: signed.block.balance }
    c.pending = undefined
    if (source) c.inbox = c.inbox.filter((s) => bytesToHex(s.send.id) !== bytesToHex(source.send.id))
    const b = signed.block
    if (b.op === 'send') {
      const to = owners.findIndex((o) => bytesToHex(honest[0]!.ledger.addressOf(o.keyId)) === bytesToHex(b.destination))
      if (to >= 0) clients[to]!.inbox.push({ send: signed, certificate })
    }
    for (const i of applyAt) if (i !== BYZANTINE) sync(i)
  }

  const deliver = (who: number, reach: number[], applyAt: number[]) => {
    const c = clients[who]!
    if (!c.pending) return
    const certificate = ask(c.pending.block, c.pending.source, reach)
    if (certificate) settle(c, c.pending.block, certificate, c.pending.source, applyAt)
  }

  const next = (c: Client) => ({ height: c.head ? c.head.height + 1n : 0n, previous: c.head?.id ?? new Uint8Array(32), balance: c.head?.balance ?? 0n })

  for (const s of steps) {
    if (s.kind === 'transfer') {
      const c = clients[s.from]!
      const amount = BigInt(s.shells) * SHELL
      if (c.pending || !c.head || c.head.balance < amount || s.from === s.to) continue
      const n = next(c)
      c.pending = { block: signBlock(unsigned(c.key, { op: 'send', height: n.height, previous: n.previous, balance: n.balance - amount, destination: addressOf(s.to), amount, memo: '' }), c.key) }
    } else if (s.kind === 'receive') {
      const c = clients[s.who]!
      const source = c.inbox[0]
      if (c.pending || !source || source.send.block.op !== 'send') continue
      const n = next(c)
      const amount = source.send.block.amount
      c.pending = { block: signBlock(unsigned(c.key, { op: c.head ? 'receive' : 'open', height: n.height, previous: n.previous, balance: n.balance + amount, source: source.send.id, amount }), c.key), source }
    } else if (s.kind === 'deliver') {
      deliver(s.who, s.reach, s.applyAt)
    } else if (s.kind === 'sync') {
      sync(s.rep)
    } else {
      // The adversary (funded when it has received something) signs two sends at one height.
      const c = clients[ADVERSARY]!
      if (!c.head || c.head.balance === 0n || c.pending) continue
      const n = next(c)
      const a = signBlock(unsigned(c.key, { op: 'send', height: n.height, previous: n.previous, balance: 0n, destination: addressOf(1), amount: c.head.balance, memo: 'a' }), c.key)
      const b = signBlock(unsigned(c.key, { op: 'send', height: n.height, previous: n.previous, balance: 0n, destination: addressOf(2), amount: c.head.balance, memo: 'b' }), c.key)
      // First each to one half (with the Byzantine representative), then the second to everyone,
      // before any certificate is applied: only the one-vote rule stops a second certificate.
      const other = [0, 1, 2, 3].filter((i) => !s.half.includes(i))
      for (const [block, reach] of [[a, [...s.half, BYZANTINE]], [b, [...other, BYZANTINE]], [b, [0, 1, 2, 3]]] as const) {
        const certificate = ask(block, undefined, [...new Set(reach)])
        if (certificate) settle(c, block, certificate, undefined, [])
      }
    }
  }

  // Delivery heals: everyone catches up, every pending honest block goes to every representative,
  // and every certified send is received.
  for (let round = 0; round < 12; round++) {
    for (const i of [0, 1, 2]) sync(i)
    for (const who of [0, 1, 2, 3]) {
      const c = clients[who]!
      if (!c.pending && c.inbox.length > 0) {
        const source = c.inbox[0]!
        const n = next(c)
        const amount = source.send.block.op === 'send' ? source.send.block.amount : 0n
        c.pending = { block: signBlock(unsigned(c.key, { op: c.head ? 'receive' : 'open', height: n.height, previous: n.previous, balance: n.balance + amount, source: source.send.id, amount }), c.key), source }
      }
      deliver(who, [0, 1, 2, 3], [0, 1, 2])
    }
  }
  for (const who of [0, 1, 2, 3]) {
    expect(clients[who]!.pending, `client ${who} still has an uncertified block after the heal`).toBeUndefined()
    expect(clients[who]!.inbox, `client ${who} still has sends to receive after the heal`).toEqual([])
  }
  for (const r of honest) expect(r.ledger.supply()).toBe(TOTAL_SUPPLY)
  certified += log.length
}

function unsigned(owner: Signer, fields: Partial<UnsignedBlock>): UnsignedBlock {
  return { network: params.network, account: owner.keyId, representative: repKeys[0]!.keyId, timestamp: 1_700_000_000_000, ...fields } as UnsignedBlock
}

describe('the ledger on a simulated committee with a Byzantine representative', () => {
  it('never certifies two blocks at one height, never receives a send twice, conserves the supply, and makes progress once delivery heals', () => {
    const funded: Step[] = [
      { kind: 'transfer', from: 0, to: ADVERSARY, shells: 40 },
      { kind: 'deliver', who: 0, reach: [0, 1, 2, 3], applyAt: [0, 1, 2] },
      { kind: 'receive', who: ADVERSARY },
      { kind: 'deliver', who: ADVERSARY, reach: [0, 1, 2, 3], applyAt: [0, 1, 2] },
    ]
    fc.assert(
      fc.property(fc.array(step, { minLength: 10, maxLength: 60 }), (steps) => {
        run([...funded, ...steps])
      }),
      { numRuns: 25 },
    )
    expect(certified).toBeGreaterThan(25 * 4)
  }, 120_000)
})
