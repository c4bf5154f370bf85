import { Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { storageNodeFlag } from '../../cli/flags.js'
import { terminal } from '../../cli/prompt.js'
import { borgHome } from '../../core/store/paths.js'

export default class ShardLs extends BorgCommand {
  static override summary = 'List your stored files: id, name, size, created, health (fewest live copies of any chunk)'

  static override examples = ['<%= config.bin %> shard ls', '<%= config.bin %> shard ls --json | jq -r ".[].id"']

  static override flags = {
    identity: Flags.boolean({
      description: 'Unlock your identity to show the names of encrypted files (done without asking when BORG_PASSPHRASE is set).',
      default: false,
    }),
    node: storageNodeFlag(),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(ShardLs)
    const [{ openSession, listFiles, ownerId, readerRole }, { formatSize }] = await Promise.all([import('../../client/session.js'), import('../../core/storage/size.js')])
    const home = borgHome()
    const owner = await ownerId(home)
    // The owner sees its encrypted files' names: with the passphrase at hand, unlocking costs no prompt.
    const session = await openSession({ home, node: flags.node, as: await readerRole(home, flags.identity), input: terminal.open() })
    try {
      const rows = await listFiles(session, owner, session.keys)
      this.emit(rows, () =>
        rows.length === 0
          ? 'no files yet (borg shard put FILE)'
          : rows.map((r) => `${r.id}  ${formatSize(r.size).padStart(10)}  ${r.created.slice(0, 19)}  copies ${r.health}  ${r.name ?? (r.encrypted ? '(encrypted: --identity shows its name)' : '')}`),
      )
    } finally {
      await session.close()
    }
  }
}
