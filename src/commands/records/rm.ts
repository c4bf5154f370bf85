import { Args, Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { terminal } from '../../cli/prompt.js'
import { borgHome } from '../../core/store/paths.js'

export default class RecordsRm extends BorgCommand {
  static override summary = 'Delete a record you wrote, everywhere'

  static override description = `Signs a deletion naming the record (with this home's node key, or --identity), stores it at the local node, and lets it sync: every node holding the collection drops the record and refuses it from then on, while the deletion lives (as long as the record could). Only a record's author can delete it. Exit statuses: 0 deleted; 2 usage; 3 no such record here, or no key; 4 the local node does not answer; 5 a wrong passphrase; 7 refused (not your record).`

  static override examples = ['<%= config.bin %> records rm 3f2a…']

  static override args = { id: Args.string({ description: 'The record id (64 hex digits).', required: true }) }
  static override flags = { identity: Flags.boolean({ description: 'Sign with your identity instead of the node key.', default: false }) }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(RecordsRm)
    const [{ loadSigner }, { withLocalNode }, { removeRecord }] = await Promise.all([import('../../core/identity/load-signer.js'), import('../../core/node/local-client.js'), import('../../client/records-client.js')])
    const home = borgHome()
    const { signer } = await loadSigner(home, flags.identity ? 'identity' : 'node', terminal.open())
    const deletion = await withLocalNode(home, (node) => removeRecord(node, signer, args.id.toLowerCase()))
    this.emit(deletion, () => `deleted ${args.id.slice(0, 16)}… (deletion ${deletion.id.slice(0, 16)}…)`)
  }
}
