/** Committees from delegated Shells (src/core/ledger/committee.ts): weight follows balances, not node counts. */
import { describe, expect, it } from 'vitest'
import { bytesToHex } from '../../src/core/bytes.js'
import { BASE_UNITS_PER_SHELL, TOTAL_SUPPLY } from '../../src/core/ledger/amount.js'
import { isQuorum, totalWeight } from '../../src/core/ledger/certificate.js'
import { committeeFrom } from '../../src/core/ledger/committee.js'
import type { AccountState } from '../../src/core/ledger/representative.js'
import { testSigner } from '../helpers/keys.js'

const SHELL = BASE_UNITS_PER_SHELL
const reps = Array.from({ length: 4 }, () => testSigner('ed25519'))
const account = (rep: number, balance: bigint): AccountState => ({ height: 1n, head: new Uint8Array(32), balance, representative: reps[rep]!.keyId })

describe('an epoch committee', () => {
  it('weighs each representative by the balances delegated to it', () => {
    const c = committeeFrom([account(0, 10n * SHELL), account(0, 5n * SHELL), account(1, 20n * SHELL)], 7n)
    expect(c.epoch).toBe(7n)
    expect(c.weights.get(bytesToHex(reps[0]!.keyId))).toBe(15n * SHELL)
    expect(c.weights.get(bytesToHex(reps[1]!.keyId))).toBe(20n * SHELL)
  })

  it('leaves out representatives under 0.1 % of the delegated weight: ten thousand sybils with dust weigh nothing', () => {
    const sybils = Array.from({ length: 10_000 }, () => ({ ...account(3, 1n), representative: testSigner('ed25519').keyId }))
    const c = committeeFrom([account(0, TOTAL_SUPPLY / 2n), account(1, TOTAL_SUPPLY / 2n - 10_000n), ...sybils], 1n)
    expect(c.weights.size).toBe(2)
    // The sybils' dust is not in the total either: it cannot block a quorum.
    expect(isQuorum(c.weights.get(bytesToHex(reps[0]!.keyId))! + c.weights.get(bytesToHex(reps[1]!.keyId))!, c)).toBe(true)
  })

  it('is the same whatever order the accounts come in, and empty balances count for nothing', () => {
    const accounts = [account(0, 3n * SHELL), account(1, 4n * SHELL), account(2, 0n), account(3, 5n * SHELL)]
    const a = committeeFrom(accounts, 1n)
    const b = committeeFrom([...accounts].reverse(), 1n)
    expect([...a.weights]).toEqual([...b.weights])
    expect(a.weights.has(bytesToHex(reps[2]!.keyId))).toBe(false)
    expect(totalWeight(a)).toBe(12n * SHELL)
  })
})
