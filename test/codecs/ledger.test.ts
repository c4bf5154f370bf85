/** Every ledger kind (docs/protocol.md §11.3) through the codec properties of harness.ts. */
import fc from 'fast-check'
import { LEDGER_CODECS, MAX_ENTRIES, MAX_ITEMS, MAX_RECEIVABLE } from '../../src/cells/ledger/messages.js'
import { whole, membersReply, membersRequest } from './arbitraries.js'
import { describeCodecs } from './harness.js'

const hexOf = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max }).map((b) => Buffer.from(b).toString('hex'))
const block = hexOf(1, 362)
const certificate = hexOf(1, 500)
const id = fc.stringMatching(/^ed[0-9a-f]{64}$/)
const units = fc.bigInt({ min: 0n, max: 2n * 10n ** 16n }).map(String)
const source = fc.record({ send: block, certificate })
const certified = fc.record({ block, certificate, source }, { requiredKeys: ['block', 'certificate'] })
const chainEntry = fc.record({ block, certificate, source }, { requiredKeys: ['block'] })
const refusal = fc.record({ code: fc.constantFrom('refused', 'bad-signature'), error: fc.string({ minLength: 1, maxLength: 80 }) })
const address = fc.stringMatching(/^D[1-9A-HJ-NP-Za-km-z]{25,33}$/)

describeCodecs('ledger', LEDGER_CODECS, {
  members: membersRequest,
  membersReply,
  status: fc.constant({}),
  statusReply: fc.oneof(
    fc.record({ ready: fc.constant(false), node: id, why: fc.string({ minLength: 1, maxLength: 80 }) }, { requiredKeys: ['ready', 'node'] }),
    fc.record({
      ready: fc.constant(true),
      node: id,
      network: hexOf(32, 32),
      genesis: hexOf(100, 200),
      name: fc.string({ minLength: 1, maxLength: 64 }),
      addressVersion: fc.integer({ min: 0, max: 255 }),
      treasury: id,
      epoch: units,
      committee: fc.array(fc.record({ id, weight: units, endpoint: fc.string({ minLength: 1, maxLength: 40 }) }, { requiredKeys: ['id', 'weight'] }), { maxLength: 4 }),
      role: fc.constantFrom('representative' as const, 'observer' as const),
      accounts: whole(),
      certified: whole(),
      supply: units,
      frozen: whole(),
      offences: whole(),
    }),
  ),
  vote: fc.record({ items: fc.array(fc.record({ block, source, previous: certified }, { requiredKeys: ['block'] }), { minLength: 1, maxLength: 3 }) }),
  voteReply: fc.record({ epoch: units, signature: hexOf(64, 64), results: fc.array(fc.oneof(fc.record({ voted: fc.constant(true as const) }), refusal), { maxLength: MAX_ITEMS > 3 ? 3 : MAX_ITEMS }) }, { requiredKeys: ['epoch', 'results'] }),
  confirm: fc.record({ items: fc.array(certified, { minLength: 1, maxLength: 3 }) }),
  confirmReply: fc.record({ results: fc.array(fc.oneof(fc.record({ outcome: fc.constantFrom('applied' as const, 'known' as const) }), refusal.map((r) => ({ outcome: 'refused' as const, ...r }))), { maxLength: 3 }) }),
  account: fc.record({ account: id, address }, { requiredKeys: [] }),
  accountReply: fc.record(
    { address, account: id, head: chainEntry, balance: units, representative: id, frozen: fc.boolean(), proposal: block, receivable: fc.array(source, { maxLength: Math.min(3, MAX_RECEIVABLE) }) },
    { requiredKeys: ['address', 'balance', 'frozen', 'receivable'] },
  ),
  history: fc.record({ account: id, from: units, limit: fc.integer({ min: 1, max: MAX_ENTRIES }) }, { requiredKeys: ['account', 'from'] }),
  historyReply: fc.record({ entries: fc.array(chainEntry, { maxLength: 3 }) }),
  since: fc.record({ cursor: whole(), limit: fc.integer({ min: 1, max: MAX_ENTRIES }) }, { requiredKeys: ['cursor'] }),
  sinceReply: fc.record({ entries: fc.array(certified, { maxLength: 3 }), next: whole(), total: whole() }),
  epoch: fc.record({ statement: certificate, certificate }, { requiredKeys: [] }),
  epochReply: fc.record({ signature: hexOf(64, 64), outcome: fc.constantFrom('applied' as const, 'known' as const) }, { requiredKeys: [] }),
  epochs: fc.record({ from: units }),
  epochsReply: fc.record({ certificates: fc.array(certificate, { maxLength: 3 }) }),
  offences: fc.constant({}),
  offencesReply: fc.record({ offences: fc.array(fc.record({ culprits: fc.array(id, { minLength: 1, maxLength: 3 }), a: certificate, b: certificate }), { maxLength: 2 }) }),
})
