import { Args, Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { terminal } from '../../cli/prompt.js'
import { borgHome } from '../../core/store/paths.js'

export default class MailRm extends BorgCommand {
  static override summary = 'Delete mail from all your mailboxes'

  static override description = `Each ID as "borg mail ls" prints it (or its first 8+ digits). Every mailbox that answers deletes it and keeps a tombstone, so a copy on a mailbox that was down is not taken back and is deleted there the next time you list. Exit statuses: 0 deleted; 2 usage; 3 no such mail; 4 none of your mailboxes answered; 5 wrong passphrase.`

  static override examples = ['<%= config.bin %> mail rm 3f2a9c1d', '<%= config.bin %> mail ls --json | jq -r ".[].id" | xargs <%= config.bin %> mail rm']

  static override strict = false
  static override args = { id: Args.string({ description: 'The mail id(s).', required: true }) }
  static override flags = { node: Flags.string({ description: 'HOST:PORT of any port of a node with a mail cell to use instead of the local node.' }) }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(MailRm)
    const [{ openMail }, { inbox, findMail }, { deleteMail }] = await Promise.all([import('../../client/mail-session.js'), import('../../client/mail-actions.js'), import('../../client/mail-client.js')])
    const session = await openMail(borgHome(), terminal.open(), flags.node)
    try {
      const box = await inbox(session, { home: borgHome() })
      const wraps = (argv as string[]).map((id) => findMail(box, id).wrap)
      const done = await deleteMail(session.identity, session.members, session.secretKey, wraps)
      const out = { deleted: wraps, mailboxes: done.mailboxes }
      this.emit(out, () => `deleted ${wraps.length} mail(s) from ${done.mailboxes} mailboxes`)
    } finally {
      await session.close()
    }
  }
}
