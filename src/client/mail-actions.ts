/**
 * The steps `borg mail` (and the conduit's mail pane) take on an open mail
 * session: publish this identity's mail key when the directory lacks it,
 * seal attachments and store them, send, find a mail by id or prefix, save
 * attachments after checking them.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { BorgError } from '../core/errors.js'
import { bytesToHex } from '../core/bytes.js'
import { p2pkhAddress } from '../core/identity/address.js'
import type { SecretInput } from '../core/identity/secret-input.js'
import type { Attachment, NostrEvent } from '../core/mail/gift-wrap.js'
import { deleteMail, openAttachment, publishMailKey, readInbox, resolveRecipient, sealAttachment, sealFor, sendMail, type Delivery, type Inbox } from './mail-client.js'
import type { MailSession } from './mail-session.js'
import { openSession } from './session.js'
import { loadMailLists, verdictFor } from './mail-lists.js'

/** Publish this identity's key under its address unless the directory already has it. */
export async function ensureMailKey(session: MailSession): Promise<boolean> {
  const address = p2pkhAddress(session.publicKey)
  const known = await resolveRecipient(session.directory, address).then(
    (r) => bytesToHex(r.key) === bytesToHex(session.publicKey),
    () => false,
  )
  if (known) return false
  await publishMailKey(session.directory, session.signer, session.publicKey)
  return true
}

/** Seal each file under a fresh key and store the ciphertext (owned by this identity). */
export async function storeAttachments(paths: string[], options: { home: string; node?: string; input: SecretInput }): Promise<Attachment[]> {
  if (paths.length === 0) return []
  const storage = await openSession({ home: options.home, node: options.node, as: 'identity', input: options.input })
  try {
    const out: Attachment[] = []
    for (const path of paths) {
      const sealed = sealAttachment(new Uint8Array(await readFile(path)), basename(path))
      const put = await storage.client.put(
        (async function* () {
          yield sealed.stored
        })(),
        { owner: storage.signer },
      )
      out.push({ file: put.manifest.id, key: bytesToHex(sealed.key), name: sealed.name, size: sealed.size, sha256: sealed.sha256 })
    }
    return out
  } finally {
    await storage.close()
  }
}

export async function send(session: MailSession, input: { to: string; subject: string; body: string; attachments: Attachment[] }): Promise<Delivery & { to: string }> {
  const recipient = await resolveRecipient(session.directory, input.to)
  const delivery = await sendMail(session.transport, session.members, { secretKey: session.secretKey, to: recipient.key, subject: input.subject, body: input.body, attachments: input.attachments })
  return { ...delivery, to: recipient.address }
}

/** Seal once for the recipient (its key from the directory): the wrap a caller may deliver, and retry, through any mail cell. */
export async function prepare(session: MailSession, input: { to: string; subject: string; body: string; attachments: Attachment[] }): Promise<{ id: string; wrap: NostrEvent; to: string }> {
  const recipient = await resolveRecipient(session.directory, input.to)
  const { rumor, wrap } = await sealFor(session.transport, session.members, { secretKey: session.secretKey, to: recipient.key, subject: input.subject, body: input.body, attachments: input.attachments })
  return { id: rumor.id, wrap, to: recipient.address }
}

/**
 * The inbox with the recipient's lists applied (`home`: where they are kept): mail from blocked senders
 * is deleted from the mailboxes, mail held back by the allow list is returned apart.
 */
export async function inbox(session: MailSession, options: { publish?: boolean; home?: string } = {}): Promise<Inbox & { held: Inbox['mails']; blocked: number }> {
  if (options.publish !== false) await ensureMailKey(session).catch(() => undefined) // the directory is a convenience for senders; reading goes on without it
  const box = await readInbox(session.identity, session.members, session.secretKey)
  const lists = options.home ? await loadMailLists(options.home) : { block: [], allow: [] }
  const blocked = box.mails.filter((m) => verdictFor(lists, m) === 'block')
  if (blocked.length > 0) await deleteMail(session.identity, session.members, session.secretKey, blocked.map((m) => m.wrap)).catch(() => undefined)
  const held = box.mails.filter((m) => verdictFor(lists, m) === 'hold')
  return { ...box, mails: box.mails.filter((m) => verdictFor(lists, m) === 'ok'), held, blocked: blocked.length }
}

/** The mail whose wrap id (or rumor id) is `id` or starts with it (at least 8 hex digits, unambiguous), listed or held. */
export function findMail(box: Inbox & { held?: Inbox['mails'] }, id: string): Inbox['mails'][number] {
  const wanted = id.trim().toLowerCase()
  if (!/^[0-9a-f]{8,64}$/.test(wanted)) throw new BorgError('usage', 'a mail id is 8 to 64 hex digits (as `borg mail ls` prints it)')
  const matches = [...box.mails, ...(box.held ?? [])].filter((m) => m.wrap.startsWith(wanted) || m.id.startsWith(wanted))
  if (matches.length === 0) throw new BorgError('not-found', `no mail ${wanted} in your mailboxes`)
  if (matches.length > 1) throw new BorgError('usage', `${wanted} matches ${matches.length} mails: give more digits`)
  return matches[0]!
}

/** Fetch, decrypt and check each attachment, and write it into `dir` under its (sanitized) name. */
export async function saveAttachments(attachments: Attachment[], dir: string, options: { home: string; node?: string; input: SecretInput }): Promise<string[]> {
  if (attachments.length === 0) return []
  const storage = await openSession({ home: options.home, node: options.node, as: 'node', input: options.input })
  try {
    const written: string[] = []
    for (const a of attachments) {
      const parts: Uint8Array[] = []
      await storage.client.get(a.file, (b) => void parts.push(Uint8Array.from(b)))
      const plaintext = openAttachment(Buffer.concat(parts), a)
      const path = join(dir, a.name.replace(/[/\\\u0000-\u001f]/g, '_') || 'attachment')
      await writeFile(path, plaintext, { mode: 0o600 })
      written.push(path)
    }
    return written
  } finally {
    await storage.close()
  }
}
