import { Args, Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { borgHome } from '../../core/store/paths.js'

export default class MailAllow extends BorgCommand {
  static override summary = 'Allow a sender: with an allow list, mail from anyone else is held back'

  static override description = `SENDER is an address or a public key. The lists live in this home (mail/lists.json), not on the mailboxes, which never learn who wrote a mail; "borg mail ls" applies them. --remove takes SENDER off the list. Prints both lists. Exit statuses: 0 done; 2 usage (not an address or a key).`

  static override examples = ['<%= config.bin %> mail allow DQe1…', '<%= config.bin %> mail allow DQe1… --remove']

  static override args = { sender: Args.string({ description: 'An address or a public key.', required: true }) }
  static override flags = { remove: Flags.boolean({ description: 'Take it off the list.', default: false }) }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(MailAllow)
    const { editMailList } = await import('../../client/mail-lists.js')
    const lists = await editMailList(borgHome(), 'allow', args.sender, flags.remove)
    this.emit(lists, () => [`blocked: ${lists.block.join(', ') || '(none)'}`, `allowed: ${lists.allow.length ? lists.allow.join(', ') : '(everyone not blocked)'}`])
  }
}
