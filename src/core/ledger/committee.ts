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
import { bytesToHex, hexToBytes } from '../bytes.js'
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

/** Epoch weights are rounded down to this many base units (0.01 % of the supply), so representatives whose views differ by a few blocks in flight still compute one committee. */
export const EPOCH_WEIGHT_UNIT = 20_000_000n * 10n ** 9n / 10_000n

/**
 * The committee a representative proposes for `epoch` from its certified
 * state: committeeFrom with two rules on top. The treasury's balance counts
 * in equal shares for the bootstrap representatives for as long as it
 * delegates to the one its genesis block names (the federation lasts until
 * Shells are delegated elsewhere), and weights are rounded down to
 * EPOCH_WEIGHT_UNIT (members left with nothing drop out).
 */
export function epochCommittee(accounts: ReadonlyMap<string, AccountState>, epoch: bigint, federation: { treasury: string; genesisRepresentative: string; representatives: readonly string[] }): Committee {
  const entries: AccountState[] = []
  for (const [id, state] of accounts) {
    if (id === federation.treasury && bytesToHex(state.representative) === federation.genesisRepresentative) {
      const n = BigInt(federation.representatives.length)
      const share = state.balance / n
      federation.representatives.forEach((rep, i) => entries.push({ ...state, balance: share + (i === 0 ? state.balance - share * n : 0n), representative: hexToBytes(rep) }))
    } else entries.push(state)
  }
  const exact = committeeFrom(entries, epoch)
  const weights = new Map<string, bigint>()
  for (const [rep, weight] of exact.weights) {
    const rounded = (weight / EPOCH_WEIGHT_UNIT) * EPOCH_WEIGHT_UNIT
    if (rounded > 0n) weights.set(rep, rounded)
  }
  return { epoch, weights }
}
