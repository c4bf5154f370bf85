import { Args } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { storageNodeFlag } from '../../cli/flags.js'
import { terminal } from '../../cli/prompt.js'
import { borgHome } from '../../core/store/paths.js'

export default class ShardRm extends BorgCommand {
  static override summary = 'Remove one of your files (signed by your identity; holders refuse anyone else)'

  static override description = 'Sends a removal signed by your identity to the file managers of the file. Each checks that it is signed by the key that signed the manifest, keeps it as a tombstone and passes it on to copies that missed it. Chunks no file refers to any more are collected later by their holders.'

  static override examples = ['<%= config.bin %> shard rm 3f9a…']

  static override args = { id: Args.string({ description: 'The file id.', required: true }) }
  static override flags = { node: storageNodeFlag() }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ShardRm)
    const [{ openSession }, { checkFileId }] = await Promise.all([import('../../client/session.js'), import('../../core/storage/names.js')])
    const id = checkFileId(args.id.trim().toLowerCase())
    const session = await openSession({ home: borgHome(), node: flags.node, as: 'identity', input: terminal.open() })
    try {
      const removed = await session.client.remove(id, session.signer)
      this.emit({ id, removed }, () => `removed ${id} from ${removed} holders`)
    } finally {
      await session.close()
    }
  }
}
