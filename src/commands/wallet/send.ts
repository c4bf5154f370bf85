import { Args, Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { terminal } from '../../cli/prompt.js'
import { borgHome } from '../../core/store/paths.js'

export default class WalletSend extends BorgCommand {
  static override summary = 'Send Borg Shells to an address; waits for the certificate and prints the block id and the confirmation time'

  static override description = `AMOUNT is decimal Shells with at most 9 decimals ("12.5", "0.000000001"). Your identity (this BORG_HOME's, unlocked with BORG_PASSPHRASE or a prompt; never an argument) signs the block, through its ledger spending key (an Ed25519 key derived from it and authorized by it: docs/ledger.md). Before sending, the wallet finishes a block of yours some representative voted for but that never got its certificate, and receives every certified send addressed to you. The send is final once representatives holding more than 2/3 of the epoch's weight signed it (its certificate); with --no-wait the command returns once the certificate exists and one representative applied it (the others catch up from it), without waiting for the rest. Exit statuses: 0 certified; 2 usage (an amount with more than 9 decimals, a malformed address or one of another network); 3 no identity, or nothing to send from; 4 no quorum of representatives reachable; 5 wrong passphrase, or a reply that fails verification; 7 refused (insufficient balance, a frozen account).`

  static override examples = ['<%= config.bin %> wallet send --to DQe1… 12.5', '<%= config.bin %> wallet send --to DQe1… 0.25 --memo "coffee" --json | jq -r .id']

  static override args = { amount: Args.string({ description: 'Decimal Shells to send (at most 9 decimals).', required: true }) }
  static override flags = {
    to: Flags.string({ description: 'The recipient\'s address.', required: true }),
    memo: Flags.string({ description: 'A note carried in the block (UTF-8, at most 120 bytes; public).', default: '' }),
    'no-wait': Flags.boolean({ description: 'Return once the send is certified and one representative applied it, without waiting for the others.', default: false }),
    node: Flags.string({ description: 'HOST:PORT of any port of a node with a ledger cell to use instead of the local node.' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(WalletSend)
    const [{ openLedger, openWallet, checkAddress }, { parseShells, formatShells }] = await Promise.all([import('../../client/ledger-session.js'), import('../../core/ledger/amount.js')])
    const amount = parseShells(args.amount)
    const home = borgHome()
    const session = await openLedger(home, flags.node)
    try {
      const network = await session.client.network()
      const to = checkAddress(flags.to, network.addressVersion)
      const wallet = await openWallet(session, home, terminal.open())
      const sent = await wallet.send(to, amount, flags.memo, { wait: !flags['no-wait'] })
      const out = { id: sent.id, height: sent.height.toString(), to, amount: formatShells(amount), balance: formatShells(sent.balance), certifiedMs: Math.round(sent.certifiedMs * 10) / 10, confirmed: !flags['no-wait'] }
      this.emit(out, () => `sent ${out.amount} Shells to ${to}: block ${out.id} (height ${out.height}) certified in ${out.certifiedMs} ms; balance ${out.balance}`)
    } finally {
      await session.close()
    }
  }
}
