import { BorgCommand } from '../../cli/base-command.js'
import { BorgError } from '../../core/errors.js'
import { borgHome } from '../../core/store/paths.js'

export default class NodeTime extends BorgCommand {
  static override summary = 'Show this node\'s network time: offset from the local clock, error bound and source'

  static override description = `Network time is the clock of the crono tree's root, carried down the tree hop by hop with a four-timestamp exchange (offset and round trip measured, not assumed). Every envelope timestamp and replay window uses it. The operating-system clock is never changed. Needs a node running the crono cell.`

  static override examples = ['<%= config.bin %> node time', '<%= config.bin %> node time --json | jq .boundMs']

  async run(): Promise<void> {
    await this.parse(NodeTime)
    const [{ withLocalNode }, { parseTimeStatus, formatTimeStatus }] = await Promise.all([import('../../core/node/local-client.js'), import('../../cells/crono/index.js')])
    const status = await withLocalNode(borgHome(), async (node) => {
      if (!node.running.cells.crono) throw new BorgError('not-found', 'the node runs no crono cell; start it with --cells all (or include crono)')
      const cell = await node.status<{ organs?: Record<string, unknown> }>('crono')
      const time = parseTimeStatus(cell.organs?.time)
      if (!time) throw new BorgError('bad-reply', 'the crono cell did not report its time status')
      return time
    })
    this.emit(status, () => formatTimeStatus(status))
  }
}
