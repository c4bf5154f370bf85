import { Args, Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { terminal } from '../../cli/prompt.js'
import { borgHome } from '../../core/store/paths.js'

export default class WalletDelegate extends BorgCommand {
  static override summary = 'Delegate your account\'s voting weight to a representative'

  static override description = `REPRESENTATIVE is a node id (as \`borg node status\` prints it), or the address of a representative in the epoch's committee. Your balance then counts for that representative from the next epoch's committee on (docs/ledger.md). Your identity signs (BORG_PASSPHRASE or a prompt). Exit statuses: 0 certified; 2 usage (not a node id or address); 3 no identity, no Shells yet, or an address of no committee member; 4 no quorum reachable; 5 wrong passphrase; 7 refused.`

  static override examples = ['<%= config.bin %> wallet delegate ed3f…']

  static override args = { representative: Args.string({ description: 'Node id of the representative, or the address of a committee member.', required: true }) }
  static override flags = {
    node: Flags.string({ description: 'HOST:PORT of any port of a node with a ledger cell to use instead of the local node.' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(WalletDelegate)
    const [{ openLedger, openWallet, representativeOf }] = await Promise.all([import('../../client/ledger-session.js')])
    const home = borgHome()
    const session = await openLedger(home, flags.node)
    try {
      const network = await session.client.network()
      const representative = representativeOf(args.representative, network.committee.weights.keys(), network.addressVersion)
      const wallet = await openWallet(session, home, terminal.open())
      const done = await wallet.delegate(representative)
      const out = { id: done.id, height: done.height.toString(), representative, certifiedMs: Math.round(done.certifiedMs * 10) / 10 }
      this.emit(out, () => `delegated to ${representative}: block ${out.id} (height ${out.height}) certified in ${out.certifiedMs} ms`)
    } finally {
      await session.close()
    }
  }
}
