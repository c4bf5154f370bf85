import { Args } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { borgHome } from '../../core/store/paths.js'

export default class StreamAllow extends BorgCommand {
  static override summary = "Take stream offers from a key without asking (the local node's allow-list)"

  static override description = `KEY is a node id ("ed" + 64 hex digits, as "borg node status" or "borg id show" prints it) or an identity key ("01" + 66 hex digits). The local node then takes that key's stream offers within its quota, as it takes its own and its owner identity's; the list is kept in the node's home and survives restarts. Pending offers from the key stay pending ("borg stream accept ID"). Exit statuses: 0 done; 2 not a key id; 3 no node runs from this home; 7 the list is full (1024 keys).`

  static override examples = ['<%= config.bin %> stream allow ed3f9a…', '<%= config.bin %> stream allow ed3f9a… --json']

  static override args = { key: Args.string({ description: 'The key id, hex.', required: true }) }

  async run(): Promise<void> {
    const { args } = await this.parse(StreamAllow)
    const { allowKey } = await import('../../core/stream/control.js')
    const result = await allowKey(borgHome(), args.key)
    this.emit(result, () => (result.added ? `allowed ${result.key}` : `${result.key} was already allowed`))
  }
}
