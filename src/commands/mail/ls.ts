import { Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { terminal } from '../../cli/prompt.js'
import { borgHome } from '../../core/store/paths.js'

export default class MailLs extends BorgCommand {
  static override summary = 'List the mail in your mailboxes, newest first'

  static override description = `Asks your three mailboxes (further down the ranking when some do not answer) with requests signed by your identity, and opens every mail here: the mailboxes never see who wrote it, the subject or the body. The first run also publishes your mail key under your address, so others can write to your address. Your lists apply (borg mail block / allow): mail from a blocked sender is deleted from your mailboxes, and with an allow list, mail from others is held back (--all lists it, marked). Each line: the mail's id (as "borg mail read" and "rm" take it), when it was written, the sender's address, the subject and the number of attachments. Exit statuses: 0 listed; 3 no identity; 4 none of your mailboxes answered; 5 wrong passphrase.`

  static override examples = ['<%= config.bin %> mail ls', '<%= config.bin %> mail ls --json | jq -r ".[].subject"']

  static override flags = {
    all: Flags.boolean({ description: 'Also list mail your allow list holds back (from senders not on it).', default: false }),
    node: Flags.string({ description: 'HOST:PORT of any port of a node with a mail cell to use instead of the local node.' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(MailLs)
    const [{ openMail }, { inbox }] = await Promise.all([import('../../client/mail-session.js'), import('../../client/mail-actions.js')])
    const home = borgHome()
    const session = await openMail(home, terminal.open(), flags.node)
    try {
      const box = await inbox(session, { home })
      const shown = flags.all ? [...box.mails.map((m) => ({ m, held: false })), ...box.held.map((m) => ({ m, held: true }))] : box.mails.map((m) => ({ m, held: false }))
      const rows = shown.map(({ m, held }) => ({ id: m.wrap, held, mail: m.id, created: new Date(m.created * 1000).toISOString(), from: m.address ?? m.from, subject: m.subject, bytes: m.body.length, attachments: m.attachments.length }))
      for (const u of box.unreadable) this.warn(`mail ${u.wrap.slice(0, 16)}… does not open: ${u.error}`)
      if (box.blocked > 0) this.warn(`deleted ${box.blocked} mail(s) from blocked senders`)
      if (box.held.length > 0 && !flags.all) this.warn(`${box.held.length} mail(s) from senders not on your allow list held back: --all lists them`)
      this.emit(rows, () => (rows.length === 0 ? 'no mail' : rows.map((r) => `${r.held ? '(held) ' : ''}${r.id.slice(0, 12)}  ${r.created.slice(0, 16).replace('T', ' ')}  ${r.from.padEnd(34)}  ${r.subject || '(no subject)'}${r.attachments ? `  [${r.attachments} attached]` : ''}`)))
    } finally {
      await session.close()
    }
  }
}
