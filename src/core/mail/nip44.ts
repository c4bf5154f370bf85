/**
 * NIP-44 version 2 (https://github.com/nostr-protocol/nips/blob/master/44.md):
 * authenticated encryption between two secp256k1 keys, used to seal mail to
 * a recipient's identity key (docs/mail.md). The primitives are @noble's
 * (secp256k1 ECDH, HKDF, HMAC-SHA256, ChaCha20); this file only composes them
 * as the specification says, and is checked against its official vectors
 * (test/mail/nip44.test.ts).
 *
 * conversation key = HKDF-extract(salt "nip44-v2", ECDH x-coordinate);
 * per message: 32-byte nonce → HKDF-expand(conversation key, nonce, 76) =
 * ChaCha20 key ‖ ChaCha20 nonce ‖ HMAC key; the plaintext (1 to 65,535 bytes)
 * is length-prefixed and padded; payload = base64(0x02 ‖ nonce ‖ ciphertext ‖
 * HMAC(nonce ‖ ciphertext)), the MAC checked in constant time before anything
 * is decrypted.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { chacha20 } from '@noble/ciphers/chacha.js'
import { equalBytes } from '@noble/ciphers/utils.js' // constant time
import { extract, expand } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { BorgError } from '../errors.js'
import { concatBytes, utf8 } from '../bytes.js'

export const MIN_PLAINTEXT = 1
export const MAX_PLAINTEXT = 65_535
const SALT = utf8.encode('nip44-v2')
const VERSION = 2

function invalid(message: string): BorgError {
  return new BorgError('malformed', `NIP-44: ${message}`)
}

/** The key two parties share: from my secret key and their x-only (32-byte) or compressed (33-byte) public key. */
export function conversationKey(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const compressed = publicKey.length === 32 ? concatBytes(Uint8Array.of(2), publicKey) : publicKey
  let shared: Uint8Array
  try {
    shared = secp256k1.getSharedSecret(secretKey, compressed, true)
  } catch (error) {
    throw invalid(`no shared key: ${(error as Error).message}`)
  }
  return extract(sha256, shared.subarray(1, 33), SALT)
}

export interface MessageKeys {
  chachaKey: Uint8Array
  chachaNonce: Uint8Array
  hmacKey: Uint8Array
}

export function messageKeys(conversation: Uint8Array, nonce: Uint8Array): MessageKeys {
  if (conversation.length !== 32) throw invalid('the conversation key is 32 bytes')
  if (nonce.length !== 32) throw invalid('the nonce is 32 bytes')
  const keys = expand(sha256, conversation, nonce, 76)
  return { chachaKey: keys.subarray(0, 32), chachaNonce: keys.subarray(32, 44), hmacKey: keys.subarray(44, 76) }
}

/** The padded length of a plaintext of `length` bytes (without the 2-byte length prefix). */
export function paddedLength(length: number): number {
  if (!Number.isSafeInteger(length) || length < MIN_PLAINTEXT) throw invalid('a plaintext has at least 1 byte')
  if (length <= 32) return 32
  const nextPower = 1 << (Math.floor(Math.log2(length - 1)) + 1)
  const chunk = nextPower <= 256 ? 32 : nextPower / 8
  return chunk * (Math.floor((length - 1) / chunk) + 1)
}

function pad(plaintext: Uint8Array): Uint8Array {
  const length = plaintext.length
  if (length < MIN_PLAINTEXT || length > MAX_PLAINTEXT) throw new BorgError('too-large', `NIP-44: a plaintext is ${MIN_PLAINTEXT} to ${MAX_PLAINTEXT} bytes (this one is ${length})`)
  const out = new Uint8Array(2 + paddedLength(length))
  out[0] = length >> 8
  out[1] = length & 0xff
  out.set(plaintext, 2)
  return out
}

function unpad(padded: Uint8Array): Uint8Array {
  const length = (padded[0]! << 8) | padded[1]!
  const plaintext = padded.subarray(2, 2 + length)
  if (length === 0 || plaintext.length !== length || padded.length !== 2 + paddedLength(length)) throw invalid('invalid padding')
  return plaintext
}

function macOf(hmacKey: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  return hmac(sha256, hmacKey, concatBytes(nonce, ciphertext))
}

/** Encrypt `plaintext` (bytes or text) under a conversation key; `nonce` is random unless given (tests). */
export function encrypt(plaintext: Uint8Array | string, conversation: Uint8Array, nonce: Uint8Array = randomBytes(32)): string {
  const { chachaKey, chachaNonce, hmacKey } = messageKeys(conversation, nonce)
  const ciphertext = chacha20(chachaKey, chachaNonce, pad(typeof plaintext === 'string' ? utf8.encode(plaintext) : plaintext))
  return Buffer.from(concatBytes(Uint8Array.of(VERSION), nonce, ciphertext, macOf(hmacKey, nonce, ciphertext))).toString('base64')
}

/** Decrypt a payload to bytes: refused (`malformed`) when anything about it is wrong, before any byte is decrypted. */
export function decryptBytes(payload: string, conversation: Uint8Array): Uint8Array {
  if (payload.length === 0 || payload[0] === '#') throw invalid('unknown encryption version')
  if (payload.length < 132 || payload.length > 87_472) throw invalid('invalid payload size')
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(payload)) throw invalid('the payload is not base64')
  const data = new Uint8Array(Buffer.from(payload, 'base64'))
  if (data.length < 99 || data.length > 65_603) throw invalid('invalid data size')
  if (data[0] !== VERSION) throw invalid(`unknown encryption version ${data[0]}`)
  const nonce = data.subarray(1, 33)
  const ciphertext = data.subarray(33, data.length - 32)
  const mac = data.subarray(data.length - 32)
  const { chachaKey, chachaNonce, hmacKey } = messageKeys(conversation, nonce)
  if (!equalBytes(macOf(hmacKey, nonce, ciphertext), mac)) throw invalid('invalid MAC')
  return unpad(chacha20(chachaKey, chachaNonce, ciphertext))
}

/** Decrypt a payload to text (UTF-8, strictly decoded). */
export function decrypt(payload: string, conversation: Uint8Array): string {
  const bytes = decryptBytes(payload, conversation)
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw invalid('the plaintext is not UTF-8')
  }
}
