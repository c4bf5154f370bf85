import { Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { cellFlag } from '../../cli/flags.js'
import { colorEnabled } from '../../cli/output.js'
import { BorgError } from '../../core/errors.js'
import { borgHome } from '../../core/store/paths.js'

export default class NodeTree extends BorgCommand {
  static override summary = 'Show the live tree of a cell type (ink on a terminal, plain text when piped)'

  static override description = `Asks the local node who the root of the cell's tree is, reads the roster from the root's monitor port and draws the tree: position, node id and endpoint of every node, along parent links. On a terminal it refreshes every second (q to quit); piped, or with --once or --json, it prints once.`

  static override examples = ['<%= config.bin %> node tree', '<%= config.bin %> node tree --cell crono --once', '<%= config.bin %> node tree --json | jq .size']

  static override flags = {
    cell: cellFlag(),
    limit: Flags.integer({ description: 'Draw at most this many nodes.', default: 200, min: 1 }),
    once: Flags.boolean({ description: 'Print once, even on a terminal.', default: false }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(NodeTree)
    const [{ withLocalNode }, { renderTree }, { NODE_CODECS }, { request }] = await Promise.all([
      import('../../core/node/local-client.js'),
      import('../../core/node/tree-render.js'),
      import('../../core/node/messages.js'),
      import('../../core/messaging/requests.js'),
    ])
    type Snapshot = import('../../core/node/tree-render.js').TreeSnapshot
    await withLocalNode(borgHome(), async (node) => {
      const cell = node.cell(flags.cell)
      const load = async (): Promise<Snapshot> => {
        const local = await node.transport.client.getJson<{ isRoot: boolean; root?: { id: string; endpoint: string } } & Snapshot>(cell.mon, '/tree', node.running.nodeId)
        if (local.isRoot) return local
        if (!local.root) throw new BorgError('unavailable', `this node is not in a ${cell.name} tree yet`)
        const directory = NODE_CODECS.directoryReply.decode(await request(node.transport, { endpoint: local.root.endpoint, id: local.root.id }, NODE_CODECS.directory.encode({})))
        const mon = directory.cells[cell.name]?.mon
        if (!mon) throw new BorgError('unavailable', `the root does not list a ${cell.name} monitor`)
        const tree = await node.transport.client.getJson<{ isRoot: boolean } & Snapshot>(mon, '/tree', local.root.id)
        if (!tree.isRoot) throw new BorgError('unavailable', 'the root changed while reading the tree; try again')
        return tree
      }
      const live = process.stdout.isTTY && !flags.once && !this.jsonOutput
      if (!live) {
        const tree = await load()
        const drawn = renderTree(tree, { limit: flags.limit, highlight: node.running.nodeId })
        this.emit(tree, () => [drawn.header, ...drawn.lines.map((l) => l.text), ...(drawn.omitted > 0 ? [`… ${drawn.omitted} more nodes (--limit)`] : [])])
        return
      }
      if (process.env.DEV === 'true') process.env.DEV = 'false' // ink would read its package.json from disk (toolchain.md §4)
      if (!colorEnabled(process.stdout)) process.env.FORCE_COLOR = '0'
      const { showLiveTree } = await import('../../cli/ui/tree-view.js')
      await showLiveTree({ load, self: node.running.nodeId, limit: flags.limit, intervalMs: 1000 })
    })
  }
}
