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
import type { Attachment } from '../core/mail/gift-wrap.js'
import { openAttachment, publishMailKey, readInbox, resolveRecipient, sealAttachment, sendMail, type Delivery, type Inbox } from './mail-client.js'
import type { MailSession } from './mail-session.js'
import { openSession } from './session.js'

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

export async function inbox(session: MailSession): Promise<Inbox> {
  await ensureMailKey(session).catch(() => undefined) // the directory is a convenience for senders; reading goes on without it
  return readInbox(session.identity, session.members, session.secretKey)
}

/** The mail whose wrap id (or rumor id) is `id` or starts with it (at least 8 hex digits, unambiguous). */
export function findMail(box: Inbox, id: string): Inbox['mails'][number] {
  const wanted = id.trim().toLowerCase()
  if (!/^[0-9a-f]{8,64}$/.test(wanted)) throw new BorgError('usage', 'a mail id is 8 to 64 hex digits (as `borg mail ls` prints it)')
  const matches = box.mails.filter((m) => m.wrap.startsWith(wanted) || m.id.startsWith(wanted))
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
