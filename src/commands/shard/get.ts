import { Args, Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { quietFlag, readAsIdentityFlag, storageNodeFlag } from '../../cli/flags.js'
import { terminal } from '../../cli/prompt.js'
import { borgHome } from '../../core/store/paths.js'

export default class ShardGet extends BorgCommand {
  static override summary = 'Fetch a stored file by id: to stdout, or to a file with -o (resumable)'

  static override description = `Chunks are fetched in parallel from their holders (the next holder on any error or timeout); every chunk is checked against its name and length in the owner-signed manifest before any of it is written. Any node can serve any file: the local node needs to hold nothing.

With -o FILE, bytes go to FILE.borg-part and the file appears only when complete and verified; an interrupted get run again resumes from what already arrived (re-checked, not trusted). Encrypted files need your identity (BORG_PASSPHRASE or a prompt).`

  static override examples = ['<%= config.bin %> shard get 3f9a… > backup.tar.gz', '<%= config.bin %> shard get 3f9a… -o backup.tar.gz', '<%= config.bin %> shard get 3f9a… | tar xz']

  static override args = { id: Args.string({ description: 'The file id (64 hex digits) that put printed.', required: true }) }
  static override flags = {
    output: Flags.string({ char: 'o', description: 'Write to this file instead of stdout (resumable).' }),
    identity: readAsIdentityFlag(),
    node: storageNodeFlag(),
    quiet: quietFlag(),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ShardGet)
    const [{ openSession, getFile, readerRole }, { progressBar }, { checkFileId }] = await Promise.all([
      import('../../client/session.js'),
      import('../../cli/ui/progress.js'),
      import('../../core/storage/names.js'),
    ])
    const id = checkFileId(args.id.trim().toLowerCase())
    const session = await openSession({ home: borgHome(), node: flags.node, as: await readerRole(borgHome(), flags.identity), input: terminal.open() })
    const bar = progressBar(`get ${id.slice(0, 12)}…`, { enabled: !this.jsonOutput && !flags.quiet })
    try {
      const started = performance.now()
      const result = await getFile(session, { id, out: flags.output, onProgress: (d, t) => bar.update(d, t) })
      bar.finish()
      if (result.resumedFrom > 0) this.note(`resumed after ${result.resumedFrom} bytes already on disk`)
      const transferMs = Math.round(performance.now() - started)
      if (flags.output) this.emit({ id, bytes: result.bytes, file: flags.output, resumedFrom: result.resumedFrom, fallbacks: result.fallbacks, transferMs }, () => `${flags.output}: ${result.bytes} bytes, verified`)
      else if (this.jsonOutput) process.stderr.write(`${JSON.stringify({ id, bytes: result.bytes, transferMs })}\n`)
    } finally {
      bar.finish()
      await session.close()
    }
  }
}
