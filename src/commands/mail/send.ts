import { Args, Flags } from '@oclif/core'
import { readFile } from 'node:fs/promises'
import { BorgCommand } from '../../cli/base-command.js'
import { terminal } from '../../cli/prompt.js'
import { borgHome } from '../../core/store/paths.js'

export default class MailSend extends BorgCommand {
  static override summary = 'Seal a mail to an identity and deliver it to its mailboxes'

  static override description = `The body is FILE (or stdin with - or nothing). The mail is sealed on this machine to the recipient's identity key (NIP-44 v2, in a NIP-59 gift wrap signed by a one-time key: docs/mail.md) and stored on the recipient's three mailboxes; it counts as delivered once two hold it, and waits there while the recipient is offline. --to is an address (its key is looked up in the mail key directory, where an identity appears once it has run "borg mail ls") or a public key (66 hex digits). Attachments are encrypted under a fresh key, stored on the network, and the key travels inside the sealed mail. Your identity (BORG_PASSPHRASE or a prompt) seals and signs. Exit statuses: 0 delivered; 2 usage (no body, a malformed address or key); 3 no identity, or the address has no published mail key; 4 fewer than two mailboxes took it; 5 wrong passphrase; 7 refused (too large: at most about 45 KB of body, send more as an attachment).`

  static override examples = ['echo "see you at noon" | <%= config.bin %> mail send --to DQe1… --subject lunch', '<%= config.bin %> mail send --to 02ab… --attach report.pdf notes.txt --json']

  static override args = { file: Args.string({ description: 'The body (- or nothing: stdin).', ignoreStdin: true }) }
  static override flags = {
    to: Flags.string({ description: 'The recipient: an address, or a public key (66 hex digits).', required: true }),
    subject: Flags.string({ description: 'The subject (at most 256 characters; sealed like the body).', default: '' }),
    attach: Flags.string({ description: 'A file to attach (repeatable; at most 64 MiB each).', multiple: true }),
    node: Flags.string({ description: 'HOST:PORT of any port of a node with a mail cell to use instead of the local node.' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(MailSend)
    const [{ openMail }, { send, storeAttachments }, { BorgError }] = await Promise.all([import('../../client/mail-session.js'), import('../../client/mail-actions.js'), import('../../core/errors.js')])
    const home = borgHome()
    const body = args.file && args.file !== '-' ? await readFile(args.file, 'utf8') : await readStdin()
    if (body.length === 0 && (flags.attach ?? []).length === 0) throw new BorgError('usage', 'no body: give a FILE, pipe the body in, or attach something')
    const input = terminal.open()
    const session = await openMail(home, input, flags.node)
    try {
      const attachments = await storeAttachments(flags.attach ?? [], { home, node: flags.node, input })
      const sent = await send(session, { to: flags.to, subject: flags.subject, body, attachments })
      const out = { id: sent.id, wrap: sent.wrap, to: sent.to, mailboxes: sent.stored, failed: sent.failed, powBits: sent.powBits, attachments: attachments.map((a) => ({ name: a.name, size: a.size, file: a.file })), ms: Math.round(sent.ms) }
      this.emit(out, () => `delivered to ${sent.to}: stored on ${sent.stored.length} mailboxes in ${out.ms} ms (mail ${sent.id.slice(0, 16)}…)`)
    } finally {
      await session.close()
    }
  }
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return ''
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
