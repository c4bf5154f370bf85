import { Args } from '@oclif/core'
import { BorgError } from '../../core/errors.js'
import { BorgCommand } from '../../cli/base-command.js'
import { terminal } from '../../cli/prompt.js'
import { borgHome } from '../../core/store/paths.js'

export default class ShardPin extends BorgCommand {
  static override summary = 'Keep a copy of a file on the local node, whatever its holders do'

  static override description = `The local node fetches every chunk of the file it does not have yet and keeps them until "borg shard unpin": they are never collected, and "borg shard get" through this node still works when the file's holders are gone or out of reach. Any file can be pinned (an encrypted one stays encrypted). Only the node's own key may pin, so this talks to the local node only. Exits 4 when some chunks could not be fetched; run it again to fetch the rest.`

  static override examples = ['<%= config.bin %> shard pin 3f9a…', '<%= config.bin %> shard pin 3f9a… --json']

  static override args = { id: Args.string({ description: 'The file id.', required: true }) }

  async run(): Promise<void> {
    const { args } = await this.parse(ShardPin)
    const [{ openSession }, { checkFileId }] = await Promise.all([import('../../client/session.js'), import('../../core/storage/names.js')])
    const id = checkFileId(args.id.trim().toLowerCase())
    const session = await openSession({ home: borgHome(), as: 'node', input: terminal.open() })
    try {
      const result = await session.client.pin(id)
      if (result.missing > 0) {
        throw new BorgError('unavailable', `pinned, but ${result.missing} of ${result.chunks} chunks could not be fetched yet; run "borg shard pin ${id}" again to fetch the rest`, { details: result })
      }
      this.emit(result, () => `pinned ${id}: ${result.chunks} chunks here (${result.had} already, ${result.fetched} fetched)`)
    } finally {
      await session.close()
    }
  }
}
