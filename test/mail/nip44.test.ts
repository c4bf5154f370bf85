/**
 * NIP-44 v2 against the official test vectors (paulmillr/nip44
 * nip44.vectors.json, sha256 269ed0f6…5040 as the NIP states; copied into
 * fixtures/ unchanged), and against nostr-tools' implementation both ways.
 */
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { v2 as theirs } from 'nostr-tools/nip44'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { conversationKey, decrypt, encrypt, messageKeys, paddedLength } from '../../src/core/mail/nip44.js'
import { bytesToHex, hexToBytes } from '../../src/core/bytes.js'

const file = readFileSync(new URL('./fixtures/nip44.vectors.json', import.meta.url))
const vectors = JSON.parse(file.toString()).v2
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex')

describe('NIP-44 v2 official vectors', () => {
  it('is the published vectors file', () => {
    expect(sha(file)).toBe('269ed0f69e4c192512cc779e78c555090cebc7c785b609e338a62afc3ce25040')
  })

  it('derives every conversation key', () => {
    for (const v of vectors.valid.get_conversation_key) expect(bytesToHex(conversationKey(hexToBytes(v.sec1), hexToBytes(v.pub2)))).toBe(v.conversation_key)
    expect(vectors.valid.get_conversation_key).toHaveLength(35)
  })

  it('derives every message key', () => {
    const ck = hexToBytes(vectors.valid.get_message_keys.conversation_key)
    for (const k of vectors.valid.get_message_keys.keys) {
      const keys = messageKeys(ck, hexToBytes(k.nonce))
      expect([bytesToHex(keys.chachaKey), bytesToHex(keys.chachaNonce), bytesToHex(keys.hmacKey)]).toEqual([k.chacha_key, k.chacha_nonce, k.hmac_key])
    }
  })

  it('pads every length', () => {
    for (const [length, padded] of vectors.valid.calc_padded_len) expect(paddedLength(length)).toBe(padded)
  })

  it('encrypts and decrypts every message', () => {
    for (const v of vectors.valid.encrypt_decrypt) {
      const ck = conversationKey(hexToBytes(v.sec1), secp256k1.getPublicKey(hexToBytes(v.sec2), true).subarray(1))
      expect(bytesToHex(ck)).toBe(v.conversation_key)
      expect(encrypt(v.plaintext, ck, hexToBytes(v.nonce))).toBe(v.payload)
      expect(decrypt(v.payload, ck)).toBe(v.plaintext)
      // and from the other side
      expect(decrypt(v.payload, conversationKey(hexToBytes(v.sec2), secp256k1.getPublicKey(hexToBytes(v.sec1), true)))).toBe(v.plaintext)
    }
  })

  it('encrypts and decrypts the long messages', () => {
    for (const v of vectors.valid.encrypt_decrypt_long_msg) {
      const plaintext = v.pattern.repeat(v.repeat)
      expect(sha(plaintext)).toBe(v.plaintext_sha256)
      const payload = encrypt(plaintext, hexToBytes(v.conversation_key), hexToBytes(v.nonce))
      expect(sha(payload)).toBe(v.payload_sha256)
      expect(decrypt(payload, hexToBytes(v.conversation_key))).toBe(plaintext)
    }
  })

  it('refuses every invalid case', () => {
    const ck = hexToBytes('a1a3d60f3470a8612633924e91febf96dc5366ce130f658b1f0fc652c20b3b54')
    for (const length of vectors.invalid.encrypt_msg_lengths) expect(() => encrypt(new Uint8Array(length), ck)).toThrow()
    for (const v of vectors.invalid.get_conversation_key) expect(() => conversationKey(hexToBytes(v.sec1), hexToBytes(v.pub2)), v.note).toThrow()
    for (const v of vectors.invalid.decrypt) expect(() => decrypt(v.payload, hexToBytes(v.conversation_key)), v.note).toThrow()
  })
})

describe('NIP-44 v2 against nostr-tools', () => {
  it('each side reads what the other wrote', () => {
    for (let i = 0; i < 20; i++) {
      const a = secp256k1.utils.randomSecretKey()
      const b = secp256k1.utils.randomSecretKey()
      const bPub = secp256k1.getPublicKey(b, true).subarray(1)
      const aPub = secp256k1.getPublicKey(a, true).subarray(1)
      const ours = conversationKey(a, bPub)
      expect(bytesToHex(ours)).toBe(bytesToHex(theirs.utils.getConversationKey(b, bytesToHex(aPub))))
      const text = `message ${i} `.repeat(1 + i * 50)
      expect(theirs.decrypt(encrypt(text, ours), ours)).toBe(text)
      expect(decrypt(theirs.encrypt(text, ours), ours)).toBe(text)
    }
  })
})
