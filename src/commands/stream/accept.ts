import { Args } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { borgHome } from '../../core/store/paths.js'

export default class StreamAccept extends BorgCommand {
  static override summary = 'Accept a pending stream offer: the local node pulls it'

  static override description = `ID is what "borg stream pending" shows. The offer is checked again like one of your own (its source must be a member of the node's shard tree, and it must fit the stream quota), then the node pulls it in the background; the sender's "borg stream send" or "borg stream pending --json" shows the progress. Exit statuses: 0 accepted; 2 not an offer id; 3 no such pending offer (or no node runs from this home); 7 refused (quota, or the source is no longer a member).`

  static override examples = ['<%= config.bin %> stream accept 3f9a0c1d2e4b5a69']

  static override args = { id: Args.string({ description: 'The pending offer id.', required: true }) }

  async run(): Promise<void> {
    const { args } = await this.parse(StreamAccept)
    const { acceptOffer } = await import('../../core/stream/control.js')
    const result = await acceptOffer(borgHome(), args.id)
    this.emit(result, () => `accepted: stream ${result.streamId} (${result.total} chunks) is being pulled`)
  }
}
