/**
 * The mailbox's parts without a network: the store (crash-safe files read
 * back after a restart, tombstones that keep deleted mail out, quotas,
 * retention, a corrupt file dropped), the rate limits (per sender, per source
 * with the light-sender allowance, refilled over time), the recipient's lists.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { silentLogger } from '../../src/core/log.js'
import { BorgError } from '../../src/core/errors.js'
import { sealMail, xOnly } from '../../src/core/mail/gift-wrap.js'
import { MailboxStore, DEFAULT_MAILBOX_LIMITS } from '../../src/cells/mail/mailbox-store.js'
import { RateLimits } from '../../src/cells/mail/rate-limits.js'
import { editMailList, loadMailLists, verdictFor } from '../../src/client/mail-lists.js'
import { p2pkhAddress } from '../../src/core/identity/address.js'

const dirs: string[] = []
const scratch = async () => {
  const d = await mkdtemp(join(tmpdir(), 'borg-mailbox-'))
  dirs.push(d)
  return d
}
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))))

const sender = secp256k1.utils.randomSecretKey()
const bob = secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true)
const bobX = xOnly(bob)
const wrapFor = (body: string) => sealMail({ secretKey: sender, to: bob, subject: '', body, now: 1_800_000_000 }).wrap
const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof BorgError ? e.code : String(e)))

describe('MailboxStore', () => {
  it('keeps wraps across a restart, keeps deleted ones out, and drops a corrupt file', async () => {
    const dir = await scratch()
    const store = new MailboxStore(dir, silentLogger)
    await store.open(0)
    const [a, b, c] = [wrapFor('a'), wrapFor('b'), wrapFor('c')]
    for (const w of [a, b, c]) expect(await store.put(bobX, w, 1000)).toBe('stored')
    expect(await store.put(bobX, a, 1001)).toBe('known')
    expect(await store.delete(bobX, [b.id], 2000)).toBe(1)
    expect(await code(store.put(bobX, b, 3000))).toBe('refused')
    await writeFile(join(dir, 'mail', bobX, `${'f'.repeat(64)}.json`), '{"storedAt": 1, "wrap": {"not": "a wrap"}}')
    const again = new MailboxStore(dir, silentLogger)
    await again.open(4000)
    expect(again.list(bobX, 100).wraps.map((w) => w.id).sort()).toEqual([a.id, c.id].sort())
    expect(again.list(bobX, 100).deleted).toEqual([b.id])
    expect(await code(again.put(bobX, b, 5000))).toBe('refused')
    expect(again.box(bobX)!.items.size).toBe(2)
    // The corrupt file itself is gone (a kept wrap's file may start with 'f' too: ids are hashes).
    expect(await readdir(join(dir, 'mail', bobX))).not.toContain(`${'f'.repeat(64)}.json`)
  })

  it('bounds each recipient and the whole store, and lets mail and tombstones go after the retention', async () => {
    const store = new MailboxStore(await scratch(), silentLogger, { ...DEFAULT_MAILBOX_LIMITS, perRecipientWraps: 3, retentionMs: 10_000 })
    await store.open(0)
    for (let i = 0; i < 3; i++) await store.put(bobX, wrapFor(`m${i}`), 0)
    expect(await code(store.put(bobX, wrapFor('one too many'), 0))).toBe('refused')
    const first = store.list(bobX, 1).wraps[0]!
    await store.delete(bobX, [first.id], 5_000)
    expect(await store.gc(10_000)).toBe(2)
    expect(store.list(bobX, 100).wraps).toHaveLength(0)
    expect(store.list(bobX, 100).deleted).toEqual([first.id]) // deleted at 5 s: kept until 15 s
    await store.gc(15_000)
    expect(store.box(bobX)).toBeUndefined()
    const small = new MailboxStore(await scratch(), silentLogger, { ...DEFAULT_MAILBOX_LIMITS, totalBytes: 1000 })
    await small.open(0)
    expect(await code(small.put(bobX, wrapFor('x'), 0))).toBe('refused')
  })

  it('pages newest first', async () => {
    const store = new MailboxStore(await scratch(), silentLogger)
    await store.open(0)
    const wraps = Array.from({ length: 5 }, (_, i) => wrapFor(`p${i}`))
    for (const [i, w] of wraps.entries()) await store.put(bobX, w, i * 10)
    const page1 = store.list(bobX, 2)
    expect(page1.wraps.map((w) => w.id)).toEqual([wraps[4]!.id, wraps[3]!.id])
    expect(page1.more).toBe(true)
    const page3 = store.list(bobX, 2, store.list(bobX, 2, page1.wraps[1]!.id).wraps[1]!.id)
    expect(page3.wraps.map((w) => w.id)).toEqual([wraps[0]!.id])
    expect(page3.more).toBe(false)
  })
})

describe('RateLimits', () => {
  it('throttles a sender past its budget, refills over time, and lets light senders past a flooded source', () => {
    let now = 0
    const limits = new RateLimits({ perSenderPerMinute: 30, perSourcePerMinute: 60, lightBelow: 5, lightPerSourcePerMinute: 120 }, () => now)
    const verdicts = Array.from({ length: 40 }, () => limits.admit('flooder', '127.0.0.1'))
    expect(verdicts.filter((v) => v === 'ok')).toHaveLength(10) // a burst of a third of a minute's budget
    expect(verdicts.filter((v) => v === 'sender')).toHaveLength(30)
    now += 60_000
    expect(limits.admit('flooder', '127.0.0.1')).toBe('ok') // refilled
    // One flooding program on an address (a few keys, each past its own budget) uses the address's budget up…
    for (let i = 0; i < 6; i++) for (let j = 0; j < 40; j++) limits.admit(`heavy-${i}`, '10.0.0.1')
    expect(limits.admit('heavy-new', '10.0.0.1')).toBe('ok') // a fresh key is light…
    for (let j = 0; j < 10; j++) limits.admit('heavy-new', '10.0.0.1')
    expect(limits.admit('heavy-new', '10.0.0.1')).not.toBe('ok') // …until it sends much
    // …and a light sender there still gets through.
    expect(limits.admit('someone', '10.0.0.1')).toBe('ok')
    expect(limits.throttled.sender + limits.throttled.source).toBeGreaterThan(30)
    // The known limit (docs/mail.md): thousands of fresh keys on one address use the light allowance up too.
    for (let i = 0; i < 200; i++) limits.admit(`sybil-${i}`, '10.0.0.1')
    expect(limits.admit('late', '10.0.0.1')).toBe('source')
  })
})

describe('the recipient’s lists', () => {
  it('blocks and allows by address or key, kept in the home', async () => {
    const home = await scratch()
    const key = secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true)
    const address = p2pkhAddress(key)
    const other = { from: 'ab'.repeat(32), address: p2pkhAddress(secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true)) }
    expect(verdictFor(await loadMailLists(home), { from: xOnly(key), address })).toBe('ok')
    await editMailList(home, 'block', Buffer.from(key).toString('hex'))
    expect(verdictFor(await loadMailLists(home), { from: xOnly(key) })).toBe('block')
    await editMailList(home, 'block', Buffer.from(key).toString('hex'), true)
    await editMailList(home, 'allow', address)
    const lists = await loadMailLists(home)
    expect(verdictFor(lists, { from: xOnly(key), address })).toBe('ok')
    expect(verdictFor(lists, other)).toBe('hold')
    await expect(editMailList(home, 'block', 'nonsense')).rejects.toThrow(/neither an address nor a public key/)
  })
})
