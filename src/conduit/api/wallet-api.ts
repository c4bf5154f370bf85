/**
 * /api/wallet…: the identity's Shells. Reading the balance also receives what
 * came in (the conduit holds the key, as a wallet app would), so the page
 * sees Shells arrive. A send is parsed and checked here, described in the
 * conduit's own words, and made only when that confirmation comes back:
 * the block is signed once and its id carries it through any failover.
 */
import { BorgError } from '../../core/errors.js'
import { bytesToHex } from '../../core/bytes.js'
import { addressFromHash160, regtestNetwork } from '../../core/identity/address.js'
import { formatShells, parseShells } from '../../core/ledger/amount.js'
import { Wallet } from '../../client/wallet.js'
import { checkAddress } from '../../client/ledger-session.js'
import type { CellEndpoint } from '../endpoint-pool.js'
import type { ApiContext } from './context.js'
import { field } from './context.js'

const MAX_MEMO = 256

export function walletApi(ctx: ApiContext) {
  const walletAt = (cell: CellEndpoint) => {
    const me = ctx.keyring.unlocked()
    return new Wallet(ctx.network.ledgerAt(cell), me.signer, { spending: me.spending })
  }
  const network = () => ctx.network.pool.read('ledger', (cell) => ctx.network.ledgerAt(cell).network())

  return {
    get: {
      wallet: async () => {
        const me = ctx.keyring.unlocked()
        const { view } = await ctx.network.pool.write('ledger', (cell) => walletAt(cell).settle())
        let incoming = 0n
        for (const r of view.receivable) if (r.send.block.op === 'send') incoming += r.send.block.amount
        return { address: me.address, balance: formatShells(view.balance), incoming: formatShells(incoming), height: view.head ? view.head.signed.block.height.toString() : null, frozen: view.frozen }
      },
      'wallet/history': async () => {
        const me = ctx.keyring.unlocked()
        const version = regtestNetwork({ p2pkh: (await network()).addressVersion })
        const entries = await ctx.network.pool.read('ledger', (cell) => ctx.network.ledgerAt(cell).history(bytesToHex(me.signer.keyId)))
        return entries
          .map(({ signed }) => {
            const b = signed.block
            const row: Record<string, unknown> = { height: b.height.toString(), op: b.op, balance: formatShells(b.balance), time: new Date(b.timestamp).toISOString(), id: bytesToHex(signed.id) }
            if (b.op === 'send') Object.assign(row, { amount: formatShells(b.amount), to: addressFromHash160(b.destination.subarray(1), version), memo: b.memo })
            if (b.op === 'receive' || b.op === 'open') Object.assign(row, { amount: formatShells(b.amount) })
            return row
          })
          .reverse()
      },
    },
    post: {
      /** {"to", "amount", "memo"?}: a confirmation to show; nothing is sent until it is confirmed. */
      'wallet/send': async (body: unknown) => {
        const me = ctx.keyring.unlocked()
        const view = await network()
        const to = checkAddress(field(body, 'to', { max: 64 }), view.addressVersion)
        let amount: bigint
        try {
          amount = parseShells(field(body, 'amount', { max: 40 }).trim())
        } catch (error) {
          throw new BorgError('invalid-input', (error as Error).message)
        }
        if (amount <= 0n) throw new BorgError('invalid-input', 'send more than 0 Shells')
        const memo = field(body, 'memo', { max: MAX_MEMO, optional: true })
        if (to === me.address) throw new BorgError('invalid-input', 'that is your own address')
        const shells = formatShells(amount)
        const summary = `Send ${shells} Shells from ${me.address} to ${to}${memo ? ` with the memo "${memo}"` : ''}. This cannot be undone.`
        return ctx.confirmations.ask(summary, { action: 'send', from: me.address, to, amount: shells, memo }, async () => {
          // Signed once; the same block (same id) goes through whichever ledger cell answers.
          const signed = await ctx.network.pool.write('ledger', (cell) => walletAt(cell).prepareSend(to, amount, memo))
          const done = await ctx.network.pool.write('ledger', (cell) => walletAt(cell).submit(signed))
          return { sent: shells, to, id: done.id, balance: formatShells(done.balance) }
        })
      },
    },
  }
}
