/** A link's keys and MACs (src/core/net/link-keys.ts, docs/protocol.md §4.5). */
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { parseHeader, type EnvelopeHeader } from '../../src/core/envelope/codec.js'
import { seal, sealToBytes, verifyHeaderSignature } from '../../src/core/envelope/seal.js'
import { cryptoRandom } from '../../src/core/crypto/random.js'
import { LINK_KEY_BYTES, LinkEphemeral, linkAuthenticator, linkSigner } from '../../src/core/net/link-keys.js'
import { binaryMessage, jsonMessage } from '../helpers/json-messages.js'
import { testSigner } from '../helpers/keys.js'
import { codeOf } from '../helpers/refusal.js'

const opener = testSigner()
const acceptor = testSigner()
const options = { timestamp: 1_700_000_000_000, random: cryptoRandom }

function handshake() {
  const a = new LinkEphemeral()
  const b = new LinkEphemeral()
  const opening = seal(opener, binaryMessage('wire.link.open', a.publicKey), { ...options, expectsReply: true }).header
  const acceptance = seal(acceptor, binaryMessage('wire.link.accept', b.publicKey), { ...options, ref: opening.id }).header
  return { a, b, opening, acceptance }
}

function parsed(bytes: Uint8Array): { header: EnvelopeHeader; signedPart: Uint8Array } {
  const p = parseHeader(bytes)
  if (p.status !== 'ok') throw new Error('incomplete')
  return p
}

describe('link keys', () => {
  it('both ends derive the same two 64-byte keys, different from each other', () => {
    const { a, b, opening, acceptance } = handshake()
    const mine = a.derive(b.publicKey, opening, acceptance)
    const theirs = b.derive(a.publicKey, opening, acceptance)
    expect(mine).toEqual(theirs)
    expect(mine.opener).toHaveLength(LINK_KEY_BYTES)
    expect(mine.acceptor).toHaveLength(LINK_KEY_BYTES)
    expect(Buffer.from(mine.opener).equals(Buffer.from(mine.acceptor))).toBe(false)
  })

  it('the keys depend on the signed headers: another acceptance (same X25519 keys) gives other keys', () => {
    const { a, b, opening, acceptance } = handshake()
    const other = { ...acceptance, timestamp: acceptance.timestamp + 1 }
    expect(a.derive(b.publicKey, opening, acceptance)).not.toEqual(a.derive(b.publicKey, opening, other))
  })

  it('refuses a key of the wrong length and a low-order point', () => {
    const { a, opening, acceptance } = handshake()
    expect(codeOf(() => a.derive(new Uint8Array(31), opening, acceptance))).toBe('malformed')
    expect(codeOf(() => a.derive(new Uint8Array(32), opening, acceptance))).toBe('malformed') // the all-zero point
  })

  it('a link-sealed envelope sets flag bit 1 and carries HMAC-SHA-512 of its signed part', () => {
    const key = new Uint8Array(64).fill(3)
    const bytes = sealToBytes(linkSigner(opener.keyId, key), jsonMessage('t.x', {}), options)
    expect(bytes[5]).toBe(0x02)
    const { header, signedPart } = parsed(bytes)
    expect(header.linkMac).toBe(true)
    expect(Buffer.from(header.signature).equals(createHmac('sha512', key).update(signedPart).digest())).toBe(true)
    // Off its link it proves nothing.
    expect(codeOf(() => verifyHeaderSignature(header, signedPart))).toBe('bad-signature')
  })

  it('the authenticator takes the right MAC or a signature from the opener, nothing else', () => {
    const key = new Uint8Array(64).fill(5)
    const check = linkAuthenticator(opener.keyId, () => key)
    const good = parsed(sealToBytes(linkSigner(opener.keyId, key), jsonMessage('t.x', {}), options))
    expect(() => check(good.header, good.signedPart)).not.toThrow()
    const signed = parsed(sealToBytes(opener, jsonMessage('t.x', {}), options))
    expect(() => check(signed.header, signed.signedPart)).not.toThrow()
    const wrongKey = parsed(sealToBytes(linkSigner(opener.keyId, new Uint8Array(64)), jsonMessage('t.x', {}), options))
    expect(codeOf(() => check(wrongKey.header, wrongKey.signedPart))).toBe('bad-signature')
    const stranger = parsed(sealToBytes(acceptor, jsonMessage('t.x', {}), options))
    expect(codeOf(() => check(stranger.header, stranger.signedPart))).toBe('refused')
    // Any change to the covered bytes breaks the MAC (here: one of the body length).
    const tampered = new Uint8Array(good.signedPart)
    tampered[tampered.length - 33 - 8] ^= 1
    expect(codeOf(() => check(good.header, tampered))).toBe('bad-signature')
    // Before the keys exist, MACs are refused.
    const early = linkAuthenticator(opener.keyId, () => undefined)
    expect(codeOf(() => early(good.header, good.signedPart))).toBe('bad-signature')
  })
})
