/**
 * The mail key directory (docs/mail.md "Addresses"): a Doge address is a hash
 * of a key, and sealing needs the key itself, so every identity that reads
 * mail publishes a record `{"address"}` signed by that identity in the
 * `mail-keys` collection, which every mail cell's node holds and syncs. A
 * record is valid only when its address is the author key's own, so nobody
 * can publish a key for someone else's address.
 */
import { p2pkhAddress } from '../identity/address.js'
import { ALG_SECP256K1 } from '../crypto/key-id.js'
import { policy } from '../records/collection.js'
import { jsonContent, type UnsignedRecord } from '../records/record.js'

export const MAIL_KEYS = 'mail-keys'

export function mailKeysPolicy() {
  return policy(MAIL_KEYS, {
    retentionSeconds: 365 * 24 * 3600,
    maxContentBytes: 256,
    // the current record and the deletions of those it replaced
    maxPerAuthor: 4,
    maxRecords: 1_000_000,
    check: checkMailKey,
  })
}

/** The compressed identity key of a record author, when it is one (secp256k1). */
export function identityKeyOf(author: Uint8Array): Uint8Array | undefined {
  return author[0] === ALG_SECP256K1 && author.length === 34 ? author.subarray(1) : undefined
}

function checkMailKey(r: UnsignedRecord): string | undefined {
  if (r.contentType !== 'json') return 'a mail key record is JSON'
  const key = identityKeyOf(r.author)
  if (!key) return 'a mail key is published by an identity key (secp256k1)'
  const content = jsonContent(r) as { address?: unknown } | undefined
  if (typeof content !== 'object' || content === null || typeof content.address !== 'string') return 'a mail key record is {"address"}'
  if (content.address !== p2pkhAddress(key)) return `the address is not the author key's own (${p2pkhAddress(key)})`
  return undefined
}

