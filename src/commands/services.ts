import { Flags } from '@oclif/core'
import { BorgCommand } from '../cli/base-command.js'
import { borgHome } from '../core/store/paths.js'

export default class Services extends BorgCommand {
  static override summary = 'List the live nodes and their cells from the service registry'

  static override description = `Answers from the local node's synced \`services\` collection, without asking other nodes: each node's latest signed service record that has not expired (node id, cells with their endpoints, services, sequence, when it expires). A node that died drops out within its TTL (default 300 s) plus a sync interval; one that left, at once (docs/records.md). Exit statuses: 0 listed; 4 the local node does not answer.`

  static override examples = ['<%= config.bin %> services', '<%= config.bin %> services --cell shard --json | jq ".[].cells"']

  static override flags = { cell: Flags.string({ description: 'Only nodes running this cell type.' }) }

  async run(): Promise<void> {
    const { flags } = await this.parse(Services)
    const [{ withLocalNode }, { services }] = await Promise.all([import('../core/node/local-client.js'), import('../client/records-client.js')])
    const list = await withLocalNode(borgHome(), (node) => services(node, { cell: flags.cell }))
    this.emit(list, () =>
      list.length === 0
        ? 'no live service records'
        : list.map((s) => `${s.node.slice(0, 18)}…  seq ${s.seq}  expires ${new Date(s.expires * 1000).toISOString().slice(11, 19)}  ${s.cells.map((c) => `${c.type}@${c.net}`).join(' ')}`),
    )
  }
}
