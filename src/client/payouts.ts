/**
 * The treasury's payout path (docs/ledger.md "Payouts"): Shells reach
 * contributors only as sends from the treasury, never by minting. Whatever
 * decides the amounts (a later issue's rules for storage, bandwidth and
 * relaying) hands this a batch of payouts, each with an id; each becomes one
 * send whose memo is `payout:<id>`, so a batch can be run again after a crash
 * or a timeout and pays every id at most once: an id already in the
 * account's certified history is skipped.
 */
import { BorgError } from '../core/errors.js'
import { MAX_MEMO_BYTES } from '../core/ledger/block.js'
import type { LedgerClient } from './ledger-client.js'
import type { Finished, Wallet } from './wallet.js'

export interface Payout {
  /** Names the payout: the same id is never paid twice. */
  id: string
  to: string
  amount: bigint
}

export interface PayoutResult {
  id: string
  /** `paid` now, or `already` (found in the certified history). */
  outcome: 'paid' | 'already'
  block?: Finished
}

const PREFIX = 'payout:'

export function payoutMemo(id: string): string {
  const memo = `${PREFIX}${id}`
  if (!/^[\x21-\x7e]+$/.test(id) || new TextEncoder().encode(memo).length > MAX_MEMO_BYTES) {
    throw new BorgError('invalid-input', `a payout id is 1 to ${MAX_MEMO_BYTES - PREFIX.length} printable ASCII characters without spaces`)
  }
  return memo
}

/** Pay each payout not paid before, one send at a time (the treasury is one chain). */
export async function payOut(client: LedgerClient, treasury: Wallet, payouts: readonly Payout[]): Promise<PayoutResult[]> {
  const memos = new Set(payouts.map((p) => payoutMemo(p.id)))
  if (memos.size !== payouts.length) throw new BorgError('invalid-input', 'a payout id appears twice in the batch')
  // A payout send left half-done by a crash is finished first, so the history below holds it.
  await treasury.settle()
  const paid = new Set<string>()
  for (const { signed } of await client.history(treasury.account)) {
    if (signed.block.op === 'send' && signed.block.memo.startsWith(PREFIX)) paid.add(signed.block.memo)
  }
  const results: PayoutResult[] = []
  for (const payout of payouts) {
    const memo = payoutMemo(payout.id)
    if (paid.has(memo)) {
      results.push({ id: payout.id, outcome: 'already' })
      continue
    }
    const block = await treasury.send(payout.to, payout.amount, memo)
    paid.add(memo)
    results.push({ id: payout.id, outcome: 'paid', block })
  }
  return results
}

