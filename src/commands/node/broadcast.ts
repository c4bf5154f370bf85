import { Args } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { cellFlag } from '../../cli/flags.js'
import { borgHome } from '../../core/store/paths.js'

export default class NodeBroadcast extends BorgCommand {
  static override summary = 'Broadcast a short note to every node of a cell\'s tree'

  static override description = `The note travels down the broadcast tree of the chosen cell (each node delivers it once; a stable tree of N nodes carries N−1 copies). Every node keeps the last notes it received: see them with \`borg node status --json\` (cells[].notes).`

  static override examples = ['<%= config.bin %> node broadcast "hello organism"', '<%= config.bin %> node broadcast --cell crono "tick"']

  static override args = { text: Args.string({ description: 'The note (up to 1000 characters).', required: true }) }
  static override flags = { cell: cellFlag('carries it') }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(NodeBroadcast)
    const [{ withLocalNode }, { CONTROL }] = await Promise.all([import('../../core/node/local-client.js'), import('../../core/node/organism-node.js')])
    const result = await withLocalNode(borgHome(), (node) => node.control<{ bid: string; cell: string; treeSize?: number }>(CONTROL.broadcast, { cell: flags.cell, text: args.text }, flags.cell))
    this.emit(result, () => `broadcast ${result.bid} sent on the ${result.cell} tree (${result.treeSize ?? '?'} nodes)`)
  }
}
