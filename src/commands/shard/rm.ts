import { Args, Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { terminal } from '../../cli/prompt.js'
import { borgHome } from '../../core/store/paths.js'

export default class ShardRm extends BorgCommand {
  static override summary = 'Remove one of your files (signed by your identity; holders refuse anyone else)'

  static override description = 'Every holder of the manifest checks that the request is signed by the key that signed the manifest. Chunks no manifest refers to any more are collected later by the holders.'

  static override examples = ['<%= config.bin %> shard rm 3f9a…']

  static override args = { id: Args.string({ description: 'The file id.', required: true }) }
  static override flags = { node: Flags.string({ description: 'HOST:PORT of a shard cell to use instead of the local node.' }) }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ShardRm)
    const [{ openSession }, { checkFileId }] = await Promise.all([import('../../cells/shard/session.js'), import('../../cells/shard/manifest-store.js')])
    const id = checkFileId(args.id.trim().toLowerCase())
    const session = await openSession({ home: borgHome(), node: flags.node, as: 'identity', requestsAs: 'identity', input: terminal.open() })
    try {
      const removed = await session.client.remove(id)
      this.emit({ id, removed }, () => `removed ${id} from ${removed} holders`)
    } finally {
      await session.close()
    }
  }
}
