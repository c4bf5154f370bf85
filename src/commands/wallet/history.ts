import { Args, Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { borgHome } from '../../core/store/paths.js'

export default class WalletHistory extends BorgCommand {
  static override summary = 'List the certified blocks of your account (or of ADDRESS), oldest first'

  static override description = `Each block with its height, operation, amount, resulting balance, counterparty and id; every certificate is checked against the epoch's committee. Exit statuses: 0 listed; 2 usage (a malformed address); 3 no identity in this home and no ADDRESS, or the address never received anything; 4 no representative reachable; 5 a reply that fails verification.`

  static override examples = ['<%= config.bin %> wallet history', '<%= config.bin %> wallet history --json | jq ".[] | select(.op == \\"send\\")"']

  static override args = { address: Args.string({ description: 'The address to list (default: your identity\'s).' }) }
  static override flags = { node: Flags.string({ description: 'HOST:PORT of any port of a node with a ledger cell to use instead of the local node.' }) }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(WalletHistory)
    const [{ openLedger, ownAccount, checkAddress, addressOfAccount }, { formatShells }, { BorgError }, { bytesToHex }, { addressFromHash160, regtestNetwork }] = await Promise.all([
      import('../../client/ledger-session.js'),
      import('../../core/ledger/amount.js'),
      import('../../core/errors.js'),
      import('../../core/bytes.js'),
      import('../../core/identity/address.js'),
    ])
    const home = borgHome()
    const session = await openLedger(home, flags.node)
    try {
      const network = await session.client.network()
      let account = args.address ? undefined : await ownAccount(home)
      if (args.address) {
        account = (await session.client.account({ address: checkAddress(args.address, network.addressVersion) })).account
        if (!account) throw new BorgError('not-found', `${args.address} has no certified blocks (it never received anything)`)
      }
      const entries = await session.client.history(account!)
      const version = regtestNetwork({ p2pkh: network.addressVersion })
      const rows = entries.map(({ signed }) => {
        const b = signed.block
        const row: Record<string, unknown> = { height: b.height.toString(), op: b.op, balance: formatShells(b.balance), time: new Date(b.timestamp).toISOString(), id: bytesToHex(signed.id) }
        if (b.op === 'send') Object.assign(row, { amount: formatShells(b.amount), to: addressFromHash160(b.destination.subarray(1), version), memo: b.memo })
        if (b.op === 'receive' || b.op === 'open') Object.assign(row, { amount: formatShells(b.amount), source: bytesToHex(b.source) })
        if (b.op === 'delegate') row.representative = bytesToHex(b.representative)
        return row
      })
      this.emit(rows, () =>
        rows.length === 0
          ? `${addressOfAccount(account!, network.addressVersion)}: no certified blocks`
          : rows.map((r) => `${String(r.height).padStart(5)}  ${String(r.time).slice(0, 19)}  ${String(r.op).padEnd(8)} ${r.amount ? `${r.op === 'send' ? '-' : '+'}${r.amount}` : ''}${r.to ? ` to ${r.to}` : ''}${r.representative ? ` to ${r.representative}` : ''}  balance ${r.balance}  ${String(r.id).slice(0, 16)}…`),
      )
    } finally {
      await session.close()
    }
  }
}
