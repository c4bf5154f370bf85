import { Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { terminal } from '../../cli/prompt.js'
import { borgHome } from '../../core/store/paths.js'

export default class LedgerGenesis extends BorgCommand {
  static override summary = 'Create the genesis of a new ledger network: 20,000,000 Shells to a treasury, and its bootstrap representatives'

  static override description = `Your identity (this BORG_HOME's, unlocked with BORG_PASSPHRASE or a prompt) becomes the treasury: the genesis block gives it all 20,000,000 Shells, and nothing is ever minted after. The representatives named with --rep (node ids, as \`borg node status\` prints them) hold the whole voting weight of the first epoch, in equal shares: the network is a federation of them until users delegate elsewhere. The file written (never over an existing one) is what every node of the network is given; its network id (the genesis hash) is pinned in every block and vote. Exit statuses: 0 written; 2 usage (a --rep that is not a node id); 3 no identity in this home; 5 wrong passphrase; 6 the file exists already.`

  static override examples = ['<%= config.bin %> ledger genesis --name my-net --rep ed3f… --rep ed9a… --rep ed07… --out genesis.json']

  static override flags = {
    rep: Flags.string({ description: 'Node id of a bootstrap representative (repeat for each, 1 to 64).', multiple: true, required: true }),
    name: Flags.string({ description: 'The network\'s name (1 to 64 bytes).', default: 'borg' }),
    out: Flags.string({ char: 'o', description: 'Where to write the genesis file.', default: 'genesis.json' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(LedgerGenesis)
    const [{ loadSigner }, { writeNewGenesis }, { MAINNET }] = await Promise.all([
      import('../../core/identity/load-signer.js'),
      import('../../core/ledger/genesis-file.js'),
      import('../../core/identity/address.js'),
    ])
    const { signer } = await loadSigner(borgHome(), 'identity', terminal.open())
    const summary = await writeNewGenesis(flags.out, { name: flags.name, representatives: flags.rep, addressVersion: MAINNET.p2pkh, now: Date.now() }, signer)
    this.emit(summary, () => [
      `network ${summary.network} (${summary.name})`,
      `treasury ${summary.treasury}: 20000000 Shells`,
      `representatives (equal weight, a federation until users delegate elsewhere):`,
      ...summary.representatives.map((r) => `  ${r}`),
      `written to ${summary.file}`,
    ])
  }
}
