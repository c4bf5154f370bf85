/**
 * Sealed mail in the NIP-59 "gift wrap" format (docs/mail.md, protocol §13):
 *
 * 1. the **rumor** — the mail itself, an unsigned Nostr event of kind 14
 *    (NIP-17) from the sender's identity key: the body as content; tags for
 *    the recipient (`p`), the subject, the sender's compressed key (so the
 *    reader can show the sender's address) and each attachment;
 * 2. the **seal** — kind 13, the rumor encrypted with NIP-44 from the sender's
 *    identity key to the recipient's, signed (BIP-340) by the sender: it proves
 *    who wrote, to the recipient only;
 * 3. the **wrap** — kind 1059, the seal encrypted with NIP-44 from a one-time
 *    key to the recipient, signed by that one-time key, tagged only with the
 *    recipient's key. Seal and wrap times are blurred into the past two days.
 *
 * A mailbox sees only the wrap: the recipient, a random key, a blurred time and
 * a length. It never learns the sender, the subject or the body. The keys are
 * the identity keys from the 24 words (m/44'/3'/0'/0/0), so restoring the words
 * restores every mailbox. Interoperable with nostr-tools' nip59 (tested).
 */
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { BorgError } from '../errors.js'
import { bytesToHex, hexToBytes, utf8 } from '../bytes.js'
import { conversationKey, decrypt, encrypt } from './nip44.js'

export const KIND_MAIL = 14
export const KIND_SEAL = 13
export const KIND_WRAP = 1059
/** Seal and wrap times are drawn from [now − 2 days, now] (NIP-59). */
export const BLUR_SECONDS = 2 * 24 * 3600
export const MAX_SUBJECT = 256
export const MAX_ATTACHMENTS = 16
/** A wrap's JSON is at most this long (the NIP-44 limit on the seal, in base64, plus the event). */
export const MAX_WRAP_BYTES = 96 * 1024
const MAX_TAGS = 64
const MAX_TAG_ITEMS = 8
const MAX_TAG_ITEM = 1024

export interface NostrEvent {
  id: string
  pubkey: string
  created_at: number
  kind: number
  tags: string[][]
  content: string
  sig: string
}

export type Rumor = Omit<NostrEvent, 'sig'>

export interface Attachment {
  /** The stored file's id (its manifest's hash). */
  file: string
  /** The key it is encrypted under (hex, 32 bytes): it travels only inside the seal. */
  key: string
  name: string
  size: number
  /** SHA-256 of the plaintext (hex). */
  sha256: string
}

export interface Mail {
  /** The rumor's id: what the sender and the recipient call this mail. */
  id: string
  /** The sender's x-only key (hex): the seal's signer. */
  from: string
  /** The sender's compressed key (hex) as the sender stated it, checked against the signer; a borg sender always states it (its address derives from it). */
  fromKey?: string
  /** The recipients' x-only keys. */
  to: string[]
  subject: string
  body: string
  attachments: Attachment[]
  /** When the sender wrote it (seconds; the rumor's time, seen only by the recipient). */
  created: number
}

function bad(message: string): BorgError {
  return new BorgError('malformed', message)
}

/** The x-only (32-byte, hex) form of a compressed or x-only public key. */
export function xOnly(publicKey: Uint8Array): string {
  if (publicKey.length === 33) return bytesToHex(publicKey.subarray(1))
  if (publicKey.length === 32) return bytesToHex(publicKey)
  throw new BorgError('invalid-input', 'a public key is 33 bytes (compressed) or 32 (x-only)')
}

/** NIP-01 event id: SHA-256 of [0, pubkey, created_at, kind, tags, content] as JSON. */
export function eventId(e: Omit<NostrEvent, 'id' | 'sig'>): string {
  return bytesToHex(sha256(utf8.encode(JSON.stringify([0, e.pubkey, e.created_at, e.kind, e.tags, e.content]))))
}

function finish(template: Omit<NostrEvent, 'id' | 'sig' | 'pubkey'>, secretKey: Uint8Array): NostrEvent {
  const pubkey = bytesToHex(schnorr.getPublicKey(secretKey))
  const unsigned = { ...template, pubkey }
  const id = eventId(unsigned)
  return { ...unsigned, id, sig: bytesToHex(schnorr.sign(hexToBytes(id), secretKey)) }
}

const HEX64 = /^[0-9a-f]{64}$/
const HEX128 = /^[0-9a-f]{128}$/

/** Check an event's shape, id and BIP-340 signature: `malformed` or `bad-signature` otherwise. */
export function checkEvent(value: unknown, kind: number): NostrEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('an event is a JSON object')
  const e = value as Record<string, unknown>
  const keys = Object.keys(e).sort().join(',')
  if (keys !== 'content,created_at,id,kind,pubkey,sig,tags') throw bad('an event has exactly id, pubkey, created_at, kind, tags, content and sig')
  if (typeof e.id !== 'string' || !HEX64.test(e.id) || typeof e.pubkey !== 'string' || !HEX64.test(e.pubkey) || typeof e.sig !== 'string' || !HEX128.test(e.sig)) throw bad('id, pubkey and sig are lower-case hex of 32, 32 and 64 bytes')
  if (!Number.isSafeInteger(e.created_at) || (e.created_at as number) < 0) throw bad('created_at is whole seconds')
  if (e.kind !== kind) throw bad(`expected an event of kind ${kind}`)
  if (typeof e.content !== 'string') throw bad('content is a string')
  checkTags(e.tags)
  const event = e as unknown as NostrEvent
  if (eventId(event) !== event.id) throw bad('the event id is not the hash of the event')
  let valid = false
  try {
    valid = schnorr.verify(hexToBytes(event.sig), hexToBytes(event.id), hexToBytes(event.pubkey))
  } catch {
    valid = false
  }
  if (!valid) throw new BorgError('bad-signature', 'the event signature does not verify')
  return event
}

function checkTags(tags: unknown): asserts tags is string[][] {
  if (!Array.isArray(tags) || tags.length > MAX_TAGS) throw bad(`tags: at most ${MAX_TAGS} lists of strings`)
  for (const tag of tags) {
    if (!Array.isArray(tag) || tag.length < 1 || tag.length > MAX_TAG_ITEMS || !tag.every((t) => typeof t === 'string' && t.length <= MAX_TAG_ITEM)) throw bad('a tag is 1 to 8 strings of at most 1024 characters')
  }
}

const tagValues = (tags: string[][], name: string) => tags.filter((t) => t[0] === name).map((t) => t.slice(1))

/** A random time in [now − 2 days, now]. */
function blurred(nowSeconds: number): number {
  const r = new DataView(randomBytes(4).buffer).getUint32(0)
  return nowSeconds - (r % BLUR_SECONDS)
}

export interface SealInput {
  /** The sender's identity secret key. */
  secretKey: Uint8Array
  /** The recipient's public key (compressed or x-only). */
  to: Uint8Array
  subject: string
  body: string
  attachments?: Attachment[]
  /** Seconds since the epoch. */
  now: number
}

/** The rumor of one mail (unsigned; its id names the mail). */
export function makeRumor(input: SealInput): Rumor {
  if (input.subject.length > MAX_SUBJECT) throw new BorgError('invalid-input', `a subject has at most ${MAX_SUBJECT} characters`)
  const attachments = input.attachments ?? []
  if (attachments.length > MAX_ATTACHMENTS) throw new BorgError('invalid-input', `at most ${MAX_ATTACHMENTS} attachments`)
  const fromKey = secp256k1.getPublicKey(input.secretKey, true)
  const tags: string[][] = [['p', xOnly(input.to)], ['from-key', bytesToHex(fromKey)]]
  if (input.subject) tags.push(['subject', input.subject])
  for (const a of attachments) tags.push(['attachment', a.file, a.key, a.name, String(a.size), a.sha256])
  const unsigned = { pubkey: xOnly(fromKey), created_at: input.now, kind: KIND_MAIL, tags, content: input.body }
  return { ...unsigned, id: eventId(unsigned) }
}

/** Leading zero bits of an event id (NIP-13 difficulty). */
export function leadingZeroBits(idHex: string): number {
  let bits = 0
  for (const ch of idHex) {
    const nibble = parseInt(ch, 16)
    if (nibble === 0) {
      bits += 4
      continue
    }
    return bits + Math.clz32(nibble) - 28
  }
  return bits
}

/** The most work a sender does for one wrap: 2^24 tries (a mailbox asking for more is not served). */
export const MAX_POW_BITS = 24

/**
 * Seal and wrap a rumor for its recipient: the one event a mailbox stores. `powBits`: a NIP-13 proof of
 * work on the wrap (a `nonce` tag varied until the id has that many leading zero bits), as a mailbox asks.
 */
export function wrapRumor(rumor: Rumor, secretKey: Uint8Array, to: Uint8Array, nowSeconds: number, powBits = 0): NostrEvent {
  if (!Number.isInteger(powBits) || powBits < 0 || powBits > MAX_POW_BITS) throw new BorgError('invalid-input', `proof of work: 0 to ${MAX_POW_BITS} bits`)
  const recipient = hexToBytes(xOnly(to))
  const seal = finish({ created_at: blurred(nowSeconds), kind: KIND_SEAL, tags: [], content: encrypt(JSON.stringify(rumor), conversationKey(secretKey, recipient)) }, secretKey)
  const oneTime = secp256k1.utils.randomSecretKey()
  const template = { created_at: blurred(nowSeconds), kind: KIND_WRAP, tags: [['p', xOnly(to)]], content: encrypt(JSON.stringify(seal), conversationKey(oneTime, recipient)) }
  if (powBits > 0) {
    const pubkey = bytesToHex(schnorr.getPublicKey(oneTime))
    const nonce = ['nonce', '0', String(powBits)]
    template.tags.push(nonce)
    for (let n = 0; leadingZeroBits(eventId({ ...template, pubkey })) < powBits; n++) nonce[1] = String(n)
  }
  const wrap = finish(template, oneTime)
  oneTime.fill(0)
  const size = utf8.encode(JSON.stringify(wrap)).length
  if (size > MAX_WRAP_BYTES) throw new BorgError('too-large', `the sealed mail is ${size} bytes; at most ${MAX_WRAP_BYTES}: send a long body as an attachment`)
  return wrap
}

/** Seal one mail to one recipient. */
export function sealMail(input: SealInput & { powBits?: number }): { rumor: Rumor; wrap: NostrEvent } {
  const rumor = makeRumor(input)
  return { rumor, wrap: wrapRumor(rumor, input.secretKey, input.to, input.now, input.powBits) }
}

/** What a mailbox checks of a wrap it is handed: its shape and signature, and the recipient it names. */
export function checkWrap(value: unknown): { wrap: NostrEvent; recipient: string } {
  const wrap = checkEvent(value, KIND_WRAP)
  const p = tagValues(wrap.tags, 'p')
  if (p.length !== 1 || !HEX64.test(p[0]![0] ?? '')) throw bad('a wrap names exactly one recipient (one "p" tag with an x-only key)')
  if (wrap.content.length > MAX_WRAP_BYTES) throw new BorgError('too-large', `a wrap holds at most ${MAX_WRAP_BYTES} bytes`)
  return { wrap, recipient: p[0]![0]! }
}

/** Open a wrap addressed to `secretKey`'s owner: the mail, its sender proven by the seal's signature. */
export function openWrap(value: unknown, secretKey: Uint8Array): Mail {
  const { wrap, recipient } = checkWrap(value)
  const me = xOnly(secp256k1.getPublicKey(secretKey, true))
  if (recipient !== me) throw new BorgError('wrong-recipient', 'this mail is addressed to another key')
  let seal: NostrEvent
  try {
    seal = checkEvent(JSON.parse(decrypt(wrap.content, conversationKey(secretKey, hexToBytes(wrap.pubkey)))), KIND_SEAL)
  } catch (error) {
    throw error instanceof BorgError ? error : bad(`the seal: ${(error as Error).message}`)
  }
  let rumor: Rumor
  try {
    rumor = JSON.parse(decrypt(seal.content, conversationKey(secretKey, hexToBytes(seal.pubkey)))) as Rumor
  } catch (error) {
    throw error instanceof BorgError ? error : bad(`the rumor: ${(error as Error).message}`)
  }
  if (typeof rumor !== 'object' || rumor === null || rumor.kind !== KIND_MAIL || typeof rumor.content !== 'string' || !Number.isSafeInteger(rumor.created_at)) throw bad('the rumor is not a mail (kind 14)')
  checkTags(rumor.tags)
  if (rumor.pubkey !== seal.pubkey) throw new BorgError('bad-signature', 'the rumor claims another author than the one who sealed it')
  if (eventId(rumor) !== rumor.id) throw bad('the rumor id is not the hash of the rumor')
  const to = tagValues(rumor.tags, 'p').map((t) => t[0]!)
  if (!to.includes(me)) throw new BorgError('wrong-recipient', 'the sealed mail does not name this key')
  const fromKey = tagValues(rumor.tags, 'from-key')[0]?.[0]
  if (fromKey !== undefined && (!/^0[23][0-9a-f]{64}$/.test(fromKey) || fromKey.slice(2) !== rumor.pubkey)) throw new BorgError('bad-signature', "the sender's key does not match the seal's signer")
  const attachments = tagValues(rumor.tags, 'attachment').map(([file, key, name, size, sha]) => {
    if (!file || !HEX64.test(file) || !key || !HEX64.test(key) || name === undefined || !/^\d{1,15}$/.test(size ?? '') || !sha || !HEX64.test(sha)) throw bad('an attachment tag is [file id, key, name, size, sha256]')
    return { file, key, name, size: Number(size), sha256: sha }
  })
  return { id: rumor.id, from: rumor.pubkey, ...(fromKey ? { fromKey } : {}), to, subject: tagValues(rumor.tags, 'subject')[0]?.[0] ?? '', body: rumor.content, attachments, created: rumor.created_at }
}
