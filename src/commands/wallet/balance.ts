import { Args, Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { terminal } from '../../cli/prompt.js'
import { borgHome } from '../../core/store/paths.js'

export default class WalletBalance extends BorgCommand {
  static override summary = 'Show the Borg Shells of your account (or of ADDRESS), certified and incoming'

  static override description = `Asks every representative of the epoch and shows the highest certified head whose certificate checks. Incoming: certified sends to the address not received yet. For your own account the wallet first receives them when BORG_PASSPHRASE is set (or with --receive, prompting for the passphrase; --no-receive only shows them); \`wallet send\` and \`delegate\` always do. Exit statuses: 0 shown; 2 usage (a malformed address or one of another network); 3 no identity in this home and no ADDRESS; 4 no representative reachable; 5 wrong passphrase.`

  static override examples = ['<%= config.bin %> wallet balance', '<%= config.bin %> wallet balance DQe1… --json | jq -r .balance']

  static override args = { address: Args.string({ description: 'The address to show (default: your identity\'s).' }) }
  static override flags = {
    receive: Flags.boolean({ description: 'Receive incoming sends first (your own account; unlocks your identity). Default: when BORG_PASSPHRASE is set (no prompt needed); --no-receive only shows them.', allowNo: true }),
    node: Flags.string({ description: 'HOST:PORT of any port of a node with a ledger cell to use instead of the local node.' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(WalletBalance)
    const [{ openLedger, openWallet, ownAccount, checkAddress }, { formatShells }, { BorgError }] = await Promise.all([
      import('../../client/ledger-session.js'),
      import('../../core/ledger/amount.js'),
      import('../../core/errors.js'),
    ])
    const home = borgHome()
    const session = await openLedger(home, flags.node)
    try {
      const network = await session.client.network()
      if (args.address && flags.receive) throw new BorgError('usage', '--receive is for your own account only')
      // Incoming sends are received automatically when the identity unlocks without a prompt.
      const receive = flags.receive ?? (!args.address && process.env.BORG_PASSPHRASE !== undefined)
      let view
      if (receive) view = (await (await openWallet(session, home, terminal.open())).settle()).view
      else view = await session.client.account(args.address ? { address: checkAddress(args.address, network.addressVersion) } : { account: await ownAccount(home) })
      let incoming = 0n
      for (const r of view.receivable) if (r.send.block.op === 'send') incoming += r.send.block.amount
      const out = {
        address: view.address,
        account: view.account ?? null,
        balance: formatShells(view.balance),
        incoming: formatShells(incoming),
        incomingSends: view.receivable.length,
        height: view.head ? view.head.signed.block.height.toString() : null,
        representative: view.representative ?? null,
        frozen: view.frozen,
      }
      this.emit(out, () => [
        `${out.address}: ${out.balance} Shells${incoming > 0n ? ` (+${out.incoming} incoming in ${out.incomingSends} sends)` : ''}`,
        ...(out.frozen ? ['FROZEN: its key signed two blocks at one height'] : []),
        ...(out.representative ? [`delegates to ${out.representative}`] : []),
      ])
    } finally {
      await session.close()
    }
  }
}
