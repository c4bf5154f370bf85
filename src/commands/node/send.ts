import { Args, Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { cellFlag } from '../../cli/flags.js'
import { BorgError } from '../../core/errors.js'
import { borgHome } from '../../core/store/paths.js'

export default class NodeSend extends BorgCommand {
  static override summary = 'Send a note to one position or node, routed along the tree (queued while unreachable)'

  static override description = `The note is routed hop by hop along the tree to the position (or, for a node id, via the root to wherever that node sits). When a hop is down the note waits in that node's outbox and is delivered once the peer returns or its position is filled by another node. A position beyond the tree's size (as this node knows it) is refused: exit 3, naming the size.`

  static override examples = ['<%= config.bin %> node send --to 5 "hello position 5"', '<%= config.bin %> node send --to ed3f… "hello node"']

  static override args = { text: Args.string({ description: 'The note.', required: true }) }
  static override flags = {
    to: Flags.string({ description: 'A position (number) or a node id (hex key id).', required: true }),
    cell: cellFlag('routes it'),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(NodeSend)
    const target = /^\d+$/.test(flags.to) ? { position: Number(flags.to) } : { node: flags.to.toLowerCase() }
    if (target.position !== undefined && target.position < 1) throw new BorgError('usage', '--to position must be 1 or more')
    const [{ withLocalNode }, { CONTROL }, { parseKeyIdHex }] = await Promise.all([
      import('../../core/node/local-client.js'),
      import('../../core/node/organism-node.js'),
      import('../../core/crypto/key-id.js'),
    ])
    if (target.node !== undefined) parseKeyIdHex(target.node, '--to')
    const result = await withLocalNode(borgHome(), (node) => node.control<{ queued: number }>(CONTROL.send, { cell: flags.cell, text: args.text, ...target }, flags.cell))
    this.emit({ sent: true, ...target, ...result }, () => `note sent to ${flags.to} (outbox now holds ${result.queued})`)
  }
}
