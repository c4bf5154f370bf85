import { Args } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { borgHome } from '../../core/store/paths.js'

export default class StreamDeny extends BorgCommand {
  static override summary = "Take a key off the local node's stream allow-list and drop its pending offers"

  static override description = `Its later offers are held for you again ("borg stream pending"); streams already accepted from it carry on. Exit statuses: 0 done (also when the key was not on the list: see "removed"); 3 no node runs from this home.`

  static override examples = ['<%= config.bin %> stream deny ed3f9a…']

  static override args = { key: Args.string({ description: 'The key id, hex.', required: true }) }

  async run(): Promise<void> {
    const { args } = await this.parse(StreamDeny)
    const { denyKey } = await import('../../core/stream/control.js')
    const result = await denyKey(borgHome(), args.key)
    this.emit(result, () => `${result.removed ? 'removed' : 'was not on the allow-list:'} ${result.key}${result.pendingDropped ? `; ${result.pendingDropped} pending offers dropped` : ''}`)
  }
}
