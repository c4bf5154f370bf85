/**
 * Mail as a client sends and reads it (docs/mail.md): the sender seals on
 * its own machine and hands the wrap to the recipient's three mailboxes
 * (delivered = stored on at least two); the recipient lists, reads and
 * deletes with requests signed by its identity key, across its mailboxes,
 * and opens every wrap locally. The node key only finds the mail cells and
 * the directory; the identity's secret never leaves this process.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { BorgError } from '../core/errors.js'
import { bytesToHex, concatBytes, hexToBytes } from '../core/bytes.js'
import { sha256 } from '../core/crypto/hash.js'
import { randomBytes } from 'node:crypto'
import { p2pkhAddress, parseAddress, MAINNET } from '../core/identity/address.js'
import { request } from '../core/messaging/requests.js'
import { fetchMemberList } from '../core/tree/member-list.js'
import type { Member } from '../core/tree/types.js'
import type { Peer, Transport } from '../core/wire/transport.js'
import type { Codec } from '../core/codec/codec.js'
import { MAILBOX_COPIES, rankMailboxes } from '../core/mail/mailbox-placement.js'
import { checkWrap, openWrap, sealMail, xOnly, type Attachment, type Mail, type NostrEvent, type Rumor } from '../core/mail/gift-wrap.js'
import { identityKeyOf, MAIL_KEYS } from '../core/mail/mail-keys.js'
import { jsonContent } from '../core/records/record.js'
import { MAIL_CODECS, MAIL_KIND, MAX_IDS } from '../cells/mail/messages.js'
import { listRecords, putRecord, type RecordsPeer } from './records-client.js'

/** Delivered: stored on at least this many of the recipient's mailboxes (or on all there are, when fewer). */
export const DELIVERED_AT = 2
/** An attachment is read into memory to seal it: at most this large. */
export const MAX_ATTACHMENT_BYTES = 64 * 1024 * 1024

/** The mail cells, best first for this recipient (the rule every mail cell uses). */
export function mailboxesOf(recipient: string, members: Member[]): Member[] {
  return rankMailboxes(recipient, members)
}

async function ask<Q, A>(transport: Transport, peer: Peer, codec: Codec<Q>, reply: Codec<A>, value: Q, timeoutMs = 15_000): Promise<A> {
  return reply.decode(await request(transport, peer, codec.encode(value), timeoutMs))
}

/** The mail tree's members, asked of a mail cell. */
export async function mailCells(transport: Transport, entry: Peer): Promise<Member[]> {
  const fetched = await fetchMemberList(transport, MAIL_KIND.members, entry, { timeoutMs: 10_000 })
  if (!('members' in fetched) || fetched.members.length === 0) throw new BorgError('unavailable', 'no mail cell answered with the mail tree’s members')
  return fetched.members
}

// ------------------------------------------------------------------ addresses

/** Publish this identity's key under its address (so others can seal mail to it). */
export async function publishMailKey(node: RecordsPeer, identity: { keyId: Uint8Array; sign(m: Uint8Array): Uint8Array }, publicKey: Uint8Array): Promise<void> {
  await putRecord(node, identity, MAIL_KEYS, new TextEncoder().encode(JSON.stringify({ address: p2pkhAddress(publicKey) })), { json: true })
}

/**
 * The compressed key a mail to `to` is sealed to: `to` is a public key (66 hex digits; 64 for an
 * x-only key, which then must be listed in the directory to know its address), or an address looked
 * up in the mail key directory.
 */
export async function resolveRecipient(node: RecordsPeer, to: string): Promise<{ key: Uint8Array; address: string }> {
  const text = to.trim()
  if (/^0[23][0-9a-f]{64}$/i.test(text)) {
    const key = hexToBytes(text.toLowerCase())
    try {
      secp256k1.Point.fromBytes(key)
    } catch {
      throw new BorgError('invalid-input', `${text} is not a public key on secp256k1`)
    }
    return { key, address: p2pkhAddress(key) }
  }
  try {
    parseAddress(text, MAINNET)
  } catch {
    throw new BorgError('invalid-input', `${text} is neither an address nor a public key (66 hex digits)`)
  }
  for (const signed of await listRecords(node, MAIL_KEYS)) {
    const key = identityKeyOf(signed.record.author)
    const content = jsonContent(signed.record) as { address?: string }
    if (key && content?.address === text && p2pkhAddress(key) === text) return { key: new Uint8Array(key), address: text }
  }
  throw new BorgError('not-found', `${text} has not published a mail key yet (it does when its owner first runs "borg mail ls"); ask them for their public key and send with --to PUBKEY`)
}

// ----------------------------------------------------------------------- send

export interface SendInput {
  /** The sender's identity secret key. */
  secretKey: Uint8Array
  to: Uint8Array
  subject: string
  body: string
  attachments?: Attachment[]
  now?: number
}

export interface Delivery {
  /** The mail's id (the rumor's): the same for sender and recipient. */
  id: string
  /** The wrap's id: what the recipient's mailboxes call it. */
  wrap: string
  stored: string[]
  failed: { node: string; error: string }[]
  powBits: number
  ms: number
}

/** Seal one mail for the recipient, with the proof of work its first mailboxes ask for. */
export async function sealFor(transport: Transport, members: Member[], input: SendInput): Promise<{ rumor: Rumor; wrap: NostrEvent; powBits: number }> {
  const ranked = mailboxesOf(xOnly(input.to), members)
  if (ranked.length === 0) throw new BorgError('unavailable', 'no mail cell in the network')
  const policies = await Promise.all(ranked.slice(0, MAILBOX_COPIES).map((m) => ask(transport, m, MAIL_CODECS.policy, MAIL_CODECS.policyReply, {}, 5_000).catch(() => undefined)))
  const powBits = Math.max(0, ...policies.map((p) => p?.powBits ?? 0))
  const { rumor, wrap } = sealMail({ secretKey: input.secretKey, to: input.to, subject: input.subject, body: input.body, attachments: input.attachments, now: Math.floor((input.now ?? Date.now()) / 1000), powBits })
  return { rumor, wrap, powBits }
}

/**
 * Hand a sealed wrap to its recipient's mailboxes, moving down the ranking past those that fail;
 * delivered when stored on at least two (all there are, when fewer exist). The same wrap may be
 * delivered again (a retry): a mailbox that holds it answers `known`.
 */
export async function deliverWrap(transport: Transport, members: Member[], wrap: NostrEvent): Promise<{ stored: string[]; failed: { node: string; error: string }[] }> {
  const ranked = mailboxesOf(checkWrap(wrap).recipient, members)
  if (ranked.length === 0) throw new BorgError('unavailable', 'no mail cell in the network')
  const want = Math.min(MAILBOX_COPIES, ranked.length)
  const stored: string[] = []
  const failed: { node: string; error: string }[] = []
  let next = 0
  let pending = 0
  // Each worker moves down the ranking only when its own mailbox failed: exactly `want` copies when enough answer.
  const worker = async () => {
    while (stored.length + pending < want && next < ranked.length) {
      const mailbox = ranked[next++]!
      pending++
      try {
        await ask(transport, mailbox, MAIL_CODECS.deliver, MAIL_CODECS.deliverReply, { wrap })
        stored.push(mailbox.id)
      } catch (error) {
        failed.push({ node: mailbox.id, error: (error as Error).message })
      } finally {
        pending--
      }
    }
  }
  await Promise.all(Array.from({ length: want }, worker))
  const needed = Math.min(DELIVERED_AT, ranked.length)
  if (stored.length < needed) throw new BorgError('unavailable', `mail not delivered: stored on ${stored.length} mailbox(es), ${needed} needed: ${failed.slice(0, 3).map((f) => `${f.node.slice(0, 12)}: ${f.error}`).join('; ')}`)
  return { stored, failed }
}

/** Seal and deliver one mail. */
export async function sendMail(transport: Transport, members: Member[], input: SendInput): Promise<Delivery> {
  const started = performance.now()
  const { rumor, wrap, powBits } = await sealFor(transport, members, input)
  const { stored, failed } = await deliverWrap(transport, members, wrap)
  return { id: rumor.id, wrap: wrap.id, stored, failed, powBits, ms: performance.now() - started }
}

// ------------------------------------------------------------ read, delete

export interface Inbox {
  mails: (Mail & { wrap: string; address?: string; received: number })[]
  /** Wraps that did not open (not for this key, tampered): their ids and why. */
  unreadable: { wrap: string; error: string }[]
  /** Mailboxes that answered, and those that did not. */
  asked: { node: string; ok: boolean; error?: string }[]
}

/**
 * The recipient's mail: every wrap in its mailboxes (the three best, and further down the ranking
 * when some do not answer), opened here. A wrap one mailbox says was deleted is deleted where it
 * lingers. `identity`: a transport signed by the recipient's identity key.
 */
export async function readInbox(identity: Transport, members: Member[], secretKey: Uint8Array): Promise<Inbox> {
  const recipient = xOnly(secp256k1.getPublicKey(secretKey, true))
  const ranked = mailboxesOf(recipient, members)
  const wraps = new Map<string, NostrEvent>()
  const holders = new Map<string, Set<string>>()
  const deleted = new Set<string>()
  const asked: Inbox['asked'] = []
  let answered = 0
  for (const mailbox of ranked) {
    if (answered >= MAILBOX_COPIES) break
    try {
      let before: string | undefined
      for (let page = 0; page < 1000; page++) {
        const reply = await ask(identity, mailbox, MAIL_CODECS.list, MAIL_CODECS.listReply, { limit: MAX_IDS, ...(before ? { before } : {}) })
        for (const d of reply.deleted) deleted.add(d)
        for (const w of reply.wraps as NostrEvent[]) {
          wraps.set(w.id, w)
          if (!holders.has(w.id)) holders.set(w.id, new Set())
          holders.get(w.id)!.add(mailbox.id)
        }
        if (!reply.more || reply.wraps.length === 0) break
        before = (reply.wraps[reply.wraps.length - 1] as NostrEvent).id
      }
      asked.push({ node: mailbox.id, ok: true })
      answered++
    } catch (error) {
      asked.push({ node: mailbox.id, ok: false, error: (error as Error).message })
    }
  }
  if (answered === 0) throw new BorgError('unavailable', `none of your mailboxes answered: ${asked.slice(0, 3).map((a) => `${a.node.slice(0, 12)}: ${a.error}`).join('; ')}`)
  // Deleted on one mailbox but still on another (it was down): delete it there too.
  const lingering = [...deleted].filter((id) => wraps.has(id))
  if (lingering.length > 0) await deleteMail(identity, members, secretKey, lingering).catch(() => undefined)
  const inbox: Inbox = { mails: [], unreadable: [], asked }
  const seen = new Set<string>()
  for (const [id, wrap] of wraps) {
    if (deleted.has(id)) continue
    try {
      const mail = openWrap(wrap, secretKey)
      if (seen.has(mail.id)) continue // the same mail wrapped twice (a sender's retry): shown once
      seen.add(mail.id)
      inbox.mails.push({ ...mail, wrap: id, received: wrap.created_at, ...(mail.fromKey ? { address: p2pkhAddress(hexToBytes(mail.fromKey)) } : {}) })
    } catch (error) {
      inbox.unreadable.push({ wrap: id, error: (error as Error).message })
    }
  }
  inbox.mails.sort((a, b) => b.created - a.created || (a.id < b.id ? -1 : 1))
  return inbox
}

/** Delete wraps from every mailbox of the recipient that answers (each keeps a tombstone). */
export async function deleteMail(identity: Transport, members: Member[], secretKey: Uint8Array, wrapIds: string[]): Promise<{ deleted: number; mailboxes: number }> {
  const recipient = xOnly(secp256k1.getPublicKey(secretKey, true))
  let deleted = 0
  let mailboxes = 0
  // Every mailbox that may hold it: the three best and a few more (a mailbox that held it before the tree changed).
  for (const mailbox of mailboxesOf(recipient, members).slice(0, MAILBOX_COPIES + 2)) {
    try {
      for (let i = 0; i < wrapIds.length; i += MAX_IDS) deleted += (await ask(identity, mailbox, MAIL_CODECS.delete, MAIL_CODECS.deleteReply, { ids: wrapIds.slice(i, i + MAX_IDS) })).deleted
      mailboxes++
    } catch {
      // the tombstones on the others bring it about when this one is back (readInbox)
    }
  }
  if (mailboxes === 0) throw new BorgError('unavailable', 'none of your mailboxes answered')
  return { deleted, mailboxes }
}

// ---------------------------------------------------------------- attachments

/** Encrypt an attachment under a fresh key (XChaCha20-Poly1305): the bytes to store and the tag to seal. */
export function sealAttachment(plaintext: Uint8Array, name: string): { stored: Uint8Array; key: Uint8Array; sha256: string; name: string; size: number } {
  if (plaintext.length > MAX_ATTACHMENT_BYTES) throw new BorgError('too-large', `an attachment is at most ${MAX_ATTACHMENT_BYTES} bytes`)
  const key = new Uint8Array(randomBytes(32))
  const nonce = new Uint8Array(randomBytes(24))
  const stored = concatBytes(nonce, xchacha20poly1305(key, nonce).encrypt(plaintext))
  return { stored, key, sha256: bytesToHex(sha256(plaintext)), name: name.replace(/[/\\\u0000-\u001f]/g, '_').slice(0, 255) || 'attachment', size: plaintext.length }
}

/** Decrypt a stored attachment and check it is what the sender sealed. */
export function openAttachment(stored: Uint8Array, attachment: Attachment): Uint8Array {
  if (stored.length < 24 + 16) throw new BorgError('malformed', 'the stored attachment is too short')
  let plaintext: Uint8Array
  try {
    plaintext = xchacha20poly1305(hexToBytes(attachment.key), stored.subarray(0, 24)).decrypt(stored.subarray(24))
  } catch {
    throw new BorgError('malformed', `attachment ${attachment.name} does not decrypt with its key`)
  }
  if (bytesToHex(sha256(plaintext)) !== attachment.sha256 || plaintext.length !== attachment.size) throw new BorgError('body-hash-mismatch', `attachment ${attachment.name} is not what the sender sealed`)
  return plaintext
}
