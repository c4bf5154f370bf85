import { Args } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { quietFlag, readAsIdentityFlag, storageNodeFlag } from '../../cli/flags.js'
import { terminal } from '../../cli/prompt.js'
import { borgHome } from '../../core/store/paths.js'

export default class StreamGet extends BorgCommand {
  static override summary = 'Write a stored file to stdout in order, as its chunks arrive (for pipes into players)'

  static override description = 'Chunks are fetched a window ahead and written in order, each verified against its name and length in the owner-signed manifest before it is written. Encrypted files need your identity (BORG_PASSPHRASE or --identity and a prompt), as for shard get.'

  static override examples = ['<%= config.bin %> stream get 3f9a… | mpv -', '<%= config.bin %> stream get 3f9a… | tar xz']

  static override args = { id: Args.string({ description: 'The file id.', required: true }) }
  static override flags = {
    identity: readAsIdentityFlag(),
    node: storageNodeFlag(),
    quiet: quietFlag(),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(StreamGet)
    const [{ openSession, getFile, readerRole }, { checkFileId }, { progressBar }] = await Promise.all([
      import('../../client/session.js'),
      import('../../core/storage/names.js'),
      import('../../cli/ui/progress.js'),
    ])
    const id = checkFileId(args.id.trim().toLowerCase())
    const session = await openSession({ home: borgHome(), node: flags.node, as: await readerRole(borgHome(), flags.identity), input: terminal.open() })
    const bar = progressBar(`get ${id.slice(0, 12)}…`, { enabled: !this.jsonOutput && !flags.quiet })
    try {
      const result = await getFile(session, { id, onProgress: (d, t) => bar.update(d, t) })
      bar.finish()
      if (this.jsonOutput) process.stderr.write(`${JSON.stringify({ id, bytes: result.bytes })}\n`)
    } finally {
      bar.finish()
      await session.close()
    }
  }
}
