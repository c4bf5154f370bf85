import { Args, Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { borgHome } from '../../core/store/paths.js'

export default class RecordsSync extends BorgCommand {
  static override summary = 'Reconcile the local node\'s collections with another node now'

  static override description = `One reconciliation (Negentropy v1, docs/records.md) of every collection the local node holds, or COLLECTION's, with the node at --with: what either lacks moves across, each record checked by the receiving side. Prints round trips, reconciliation bytes, and records fetched, pushed and refused per collection. Nodes also do this on their own with their tree neighbours every few seconds. Exit statuses: 0 reconciled (a collection the other node does not hold is reported, not an error); 2 usage; 4 the local node does not answer.`

  static override examples = ['<%= config.bin %> records sync --with 10.0.0.7:13370', '<%= config.bin %> records sync notes --with 10.0.0.7:13370 --json']

  static override args = { collection: Args.string({ description: 'Only this collection.' }) }
  static override flags = { with: Flags.string({ description: 'HOST:PORT of any borg port of the other node.', required: true }) }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(RecordsSync)
    const [{ withLocalNode }, { syncNow }] = await Promise.all([import('../../core/node/local-client.js'), import('../../client/records-client.js')])
    const result = await withLocalNode(borgHome(), (node) => syncNow(node, flags.with, args.collection), 120_000)
    this.emit(result, () => [
      ...result.reports.map((r) => `${r.collection}: ${r.roundTrips} round trip${r.roundTrips === 1 ? '' : 's'}, ${r.reconcileBytes} bytes; fetched ${r.fetched}, pushed ${r.pushed}, refused ${r.refused}`),
      ...result.errors.map((e) => `${e.collection}: ${e.error}`),
    ])
  }
}
