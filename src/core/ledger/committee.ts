/**
 * The committee of an epoch (docs/ledger.md "Epochs"): weights are Shells,
 * not nodes. Every account's balance counts for the representative it
 * delegates to (its latest certified block's representative field); a
 * representative with at least MIN_SHARE of all delegated weight is a member,
 * the rest have no vote (as in Nano, whose principal representatives hold
 * ≥ 0.1 %). The committee is taken from the certified state at the epoch's
 * start and does not move until the next epoch, so a vote's target cannot
 * shift under it. Sends not yet received weigh nothing: they are nobody's
 * balance yet.
 */
import { bytesToHex } from '../bytes.js'
import type { Committee } from './certificate.js'
import type { AccountState } from './representative.js'

/** A member holds at least 1/1000 of the delegated weight. */
export const MIN_SHARE_DENOMINATOR = 1000n

export function committeeFrom(accounts: Iterable<AccountState>, epoch: bigint): Committee {
  const delegated = new Map<string, bigint>()
  let total = 0n
  for (const a of accounts) {
    if (a.balance === 0n) continue
    const rep = bytesToHex(a.representative)
    delegated.set(rep, (delegated.get(rep) ?? 0n) + a.balance)
    total += a.balance
  }
  const weights = new Map<string, bigint>()
  for (const [rep, weight] of [...delegated].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (weight * MIN_SHARE_DENOMINATOR >= total) weights.set(rep, weight)
  }
  return { epoch, weights }
}
