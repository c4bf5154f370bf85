/**
 * Sealed mail (src/core/mail/gift-wrap.ts): what the recipient opens is what
 * the sender wrote, proven by the seal; nobody else opens it; a mailbox sees
 * only the recipient, a one-time key and a blurred time; every tampering is
 * refused; and nostr-tools' nip59 opens our wraps and we open its.
 */
import { describe, expect, it } from 'vitest'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { unwrapEvent, wrapEvent } from 'nostr-tools/nip59'
import { BLUR_SECONDS, checkWrap, openWrap, sealMail, xOnly, type NostrEvent } from '../../src/core/mail/gift-wrap.js'
import { BorgError } from '../../src/core/errors.js'
import { bytesToHex } from '../../src/core/bytes.js'

const alice = secp256k1.utils.randomSecretKey()
const bob = secp256k1.utils.randomSecretKey()
const carol = secp256k1.utils.randomSecretKey()
const pub = (k: Uint8Array) => secp256k1.getPublicKey(k, true)
const now = 1_780_000_000
const code = (fn: () => unknown) => {
  try {
    fn()
    return 'opened'
  } catch (e) {
    return e instanceof BorgError ? e.code : `other: ${(e as Error).message}`
  }
}

describe('sealed mail', () => {
  it('opens to the recipient with the sender proven; hides sender, subject, body and time from the mailbox', () => {
    const attachment = { file: 'a'.repeat(64), key: 'b'.repeat(64), name: 'photo.jpg', size: 1234, sha256: 'c'.repeat(64) }
    const { rumor, wrap } = sealMail({ secretKey: alice, to: pub(bob), subject: 'lunch?', body: 'at noon, the usual place', attachments: [attachment], now })
    const mail = openWrap(wrap, bob)
    expect(mail).toEqual({ id: rumor.id, from: xOnly(pub(alice)), fromKey: bytesToHex(pub(alice)), to: [xOnly(pub(bob))], subject: 'lunch?', body: 'at noon, the usual place', attachments: [attachment], created: now })
    const seen = JSON.stringify(wrap)
    for (const secret of ['lunch', 'noon', 'photo', xOnly(pub(alice)), bytesToHex(pub(alice))]) expect(seen).not.toContain(secret)
    expect(checkWrap(wrap).recipient).toBe(xOnly(pub(bob)))
    expect(wrap.created_at).toBeLessThanOrEqual(now)
    expect(wrap.created_at).toBeGreaterThan(now - BLUR_SECONDS)
    // A fresh one-time key per wrap.
    expect(sealMail({ secretKey: alice, to: pub(bob), subject: '', body: 'x', now }).wrap.pubkey).not.toBe(wrap.pubkey)
    expect(code(() => openWrap(wrap, carol))).toBe('wrong-recipient')
  })

  it('refuses tampered wraps, forged seals and wrong shapes', () => {
    const { wrap } = sealMail({ secretKey: alice, to: pub(bob), subject: 's', body: 'b', now })
    const tamper = (f: (w: NostrEvent) => void) => {
      const copy = JSON.parse(JSON.stringify(wrap)) as NostrEvent
      f(copy)
      return code(() => openWrap(copy, bob))
    }
    expect(tamper((w) => (w.content = w.content.slice(0, -4) + 'AAAA'))).toBe('malformed')
    expect(tamper((w) => (w.created_at += 1))).toBe('malformed')
    expect(tamper((w) => (w.sig = '0'.repeat(128)))).toBe('bad-signature')
    expect(tamper((w) => (w.tags = [['p', xOnly(pub(carol))]]))).toBe('malformed')
    expect(tamper((w) => ((w as unknown as Record<string, unknown>).extra = 1))).toBe('malformed')
    expect(tamper((w) => (w.kind = 4))).toBe('malformed')
    expect(code(() => checkWrap('not an event'))).toBe('malformed')
    expect(code(() => checkWrap({ ...wrap, tags: [] }))).toBe('malformed')
    // A wrap whose seal is signed by a key other than the rumor's author (impersonation) is refused.
    const forged = wrapEvent({ kind: 14, content: 'I am alice', tags: [['p', xOnly(pub(bob))], ['from-key', bytesToHex(pub(alice))]], created_at: now }, carol, xOnly(pub(bob)))
    expect(code(() => openWrap(forged, bob))).toBe('bad-signature')
    expect(code(() => sealMail({ secretKey: alice, to: pub(bob), subject: 'x'.repeat(300), body: '', now }))).toBe('invalid-input')
    expect(code(() => sealMail({ secretKey: alice, to: pub(bob), subject: '', body: 'y'.repeat(70_000), now }))).toBe('too-large')
  })

  it('interoperates with nostr-tools nip59 both ways', () => {
    const { wrap } = sealMail({ secretKey: alice, to: pub(bob), subject: 'hi', body: 'from borg', now })
    const rumor = unwrapEvent(wrap, bob)
    expect(rumor.content).toBe('from borg')
    expect(rumor.pubkey).toBe(xOnly(pub(alice)))
    const theirs = wrapEvent({ kind: 14, content: 'from nostr-tools', tags: [['p', xOnly(pub(bob))], ['subject', 'yo']], created_at: now }, alice, xOnly(pub(bob)))
    const mail = openWrap(theirs, bob)
    expect(mail).toMatchObject({ body: 'from nostr-tools', subject: 'yo', from: xOnly(pub(alice)) })
    expect(mail.fromKey).toBeUndefined() // it stated no full key: no address is made up for it
  })
})
