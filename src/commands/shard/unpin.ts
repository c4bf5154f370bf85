import { Args } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { terminal } from '../../cli/prompt.js'
import { borgHome } from '../../core/store/paths.js'

export default class ShardUnpin extends BorgCommand {
  static override summary = 'Stop keeping a pinned file on the local node'

  static override description = 'Its chunks are then kept only as long as the node is one of their chosen holders; the others are collected after the grace period.'

  static override examples = ['<%= config.bin %> shard unpin 3f9a…']

  static override args = { id: Args.string({ description: 'The file id.', required: true }) }

  async run(): Promise<void> {
    const { args } = await this.parse(ShardUnpin)
    const [{ openSession }, { checkFileId }] = await Promise.all([import('../../client/session.js'), import('../../core/storage/names.js')])
    const id = checkFileId(args.id.trim().toLowerCase())
    const session = await openSession({ home: borgHome(), as: 'node', input: terminal.open() })
    try {
      const unpinned = await session.client.unpin(id)
      this.emit({ id, unpinned }, () => (unpinned ? `unpinned ${id}` : `${id} was not pinned here`))
    } finally {
      await session.close()
    }
  }
}
