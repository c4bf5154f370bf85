import { Args, Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { terminal } from '../../cli/prompt.js'
import { borgHome } from '../../core/store/paths.js'

export default class MailRead extends BorgCommand {
  static override summary = 'Show one mail: its sender (proven by their signature), subject and body'

  static override description = `ID is the id "borg mail ls" prints (or its first 8 or more digits). The sender is the identity whose signature sealed the mail. --save DIR fetches each attachment, decrypts it with the key that came inside the mail and checks it against the hash the sender sealed before writing it into DIR. Exit statuses: 0 shown; 2 usage (a malformed or ambiguous id); 3 no such mail; 4 none of your mailboxes answered; 5 wrong passphrase, or an attachment that is not what the sender sealed.`

  static override examples = ['<%= config.bin %> mail read 3f2a9c1d', '<%= config.bin %> mail read 3f2a9c1d --save ~/Downloads']

  static override args = { id: Args.string({ description: 'The mail id (or its first 8+ hex digits).', required: true }) }
  static override flags = {
    save: Flags.string({ description: 'Save the attachments into this directory.' }),
    node: Flags.string({ description: 'HOST:PORT of any port of a node with a mail cell to use instead of the local node.' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(MailRead)
    const [{ openMail }, { inbox, findMail, saveAttachments }] = await Promise.all([import('../../client/mail-session.js'), import('../../client/mail-actions.js')])
    const home = borgHome()
    const input = terminal.open()
    const session = await openMail(home, input, flags.node)
    try {
      const mail = findMail(await inbox(session, { home: borgHome() }), args.id)
      const saved = flags.save ? await saveAttachments(mail.attachments, flags.save, { home, node: flags.node, input }) : []
      const out = { id: mail.wrap, mail: mail.id, created: new Date(mail.created * 1000).toISOString(), from: mail.address ?? mail.from, fromKey: mail.fromKey ?? null, subject: mail.subject, body: mail.body, attachments: mail.attachments.map((a) => ({ name: a.name, size: a.size, sha256: a.sha256 })), saved }
      this.emit(out, () => [`From:    ${out.from}`, `Date:    ${out.created}`, `Subject: ${out.subject}`, ...out.attachments.map((a, i) => `Attached: ${a.name} (${a.size} bytes)${saved[i] ? ` → ${saved[i]}` : ''}`), '', out.body])
    } finally {
      await session.close()
    }
  }
}
