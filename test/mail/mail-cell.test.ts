/**
 * The mail cell in process, four nodes over real HTTPS on loopback: a sender
 * seals and delivers to the recipient's three mailboxes; the recipient lists,
 * reads and deletes with its identity key only; a mailbox that missed a mail
 * gets it by reconciliation; a deletion stays deleted; floods are throttled
 * per sender while others' mail gets through; a proof of work is asked for
 * and checked; malformed wraps are refused and nothing is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bytesToHex } from '../../src/core/bytes.js'
import { BorgError } from '../../src/core/errors.js'
import { loadOrCreateNodeKey } from '../../src/core/identity/node-key.js'
import { nodeSigner, signerFromSecretKey } from '../../src/core/identity/signer.js'
import { silentLogger } from '../../src/core/log.js'
import { HttpsTransport } from '../../src/core/net/https-transport.js'
import { OrganismNode } from '../../src/core/node/organism-node.js'
import { OS_ASSIGNED_PORTS } from '../../src/core/node/cell-instance.js'
import { request } from '../../src/core/messaging/requests.js'
import { p2pkhAddress } from '../../src/core/identity/address.js'
import { leadingZeroBits, sealMail } from '../../src/core/mail/gift-wrap.js'
import { mailCell, type MailOrgan } from '../../src/cells/mail/index.js'
import { MAIL_CODECS } from '../../src/cells/mail/messages.js'
import { deleteMail, mailboxesOf, mailCells, publishMailKey, readInbox, resolveRecipient, sendMail } from '../../src/client/mail-client.js'
import type { Member } from '../../src/core/tree/types.js'
import { testSigner } from '../helpers/keys.js'
import { waitUntil } from '../helpers/wait-until.js'

const nodes: OrganismNode[] = []
const homes: string[] = []
let dir: string
let transport: HttpsTransport
let members: Member[]
const alice = testSigner('secp256k1')
const bob = testSigner('secp256k1')
const carol = testSigner('secp256k1')
const organ = (n: OrganismNode) => n.cells.find((c) => c.name === 'mail')!.organs[0] as MailOrgan
const identityTransport = (who: { secretKey: Uint8Array }) => new HttpsTransport({ signer: signerFromSecretKey(who.secretKey), log: silentLogger, timeoutMs: 10_000 })
const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof BorgError ? e.code : `other: ${(e as Error).message}`))

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'borg-mail-cell-'))
  process.env.BORG_MAIL_SYNC_MS = '300'
  process.env.BORG_MAIL_PER_SENDER = '30'
  process.env.BORG_MAIL_POW_BITS = '8'
  process.env.BORG_MAIL_ACCEPT_RANK = '3'
  for (let i = 0; i < 4; i++) {
    const home = await mkdtemp(join(dir, `n${i}-`))
    homes.push(home)
    const contacts = nodes[0] ? [nodes[0].cells[0]!.endpoints.net] : []
    nodes.push(await OrganismNode.start({ home, cells: [mailCell], contacts, portBase: OS_ASSIGNED_PORTS, bindHost: '127.0.0.1', advertiseHost: '127.0.0.1', contactWaitMs: 30_000 }))
  }
  transport = new HttpsTransport({ signer: nodeSigner(await loadOrCreateNodeKey(dir)), log: silentLogger, timeoutMs: 10_000 })
  const entry = { endpoint: nodes[0]!.cells[0]!.endpoints.recp }
  const { value } = await waitUntil('the mail tree to have four members', () => mailCells(transport, entry).catch(() => []), (m) => m.length === 4, { timeoutMs: 60_000 })
  members = value
  // Every mailbox knows the others (reconciliation is among members only).
  await waitUntil('every mail cell to know the tree', () => nodes.map((n) => organ(n).mailCells.size), (sizes) => sizes.every((s) => s === 4), { timeoutMs: 60_000 })
}, 120_000)

afterAll(async () => {
  delete process.env.BORG_MAIL_SYNC_MS
  delete process.env.BORG_MAIL_PER_SENDER
  delete process.env.BORG_MAIL_POW_BITS
  delete process.env.BORG_MAIL_ACCEPT_RANK
  await transport?.close()
  await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)))
  await rm(dir, { recursive: true, force: true, maxRetries: 5 })
})

describe('the mail cell', () => {
  it('delivers to the recipient’s three mailboxes; only the recipient lists, reads and deletes; nothing in clear on disk', async () => {
    const sent = await sendMail(transport, members, { secretKey: alice.secretKey, to: bob.publicKey, subject: 'quarterly figures', body: 'revenue is up 12 percent', now: Date.now() })
    expect(sent.stored).toHaveLength(3)
    // The mailboxes ask for 8 bits of work (mail.policy); the sender did it.
    expect(sent.powBits).toBe(8)
    expect(leadingZeroBits(sent.wrap)).toBeGreaterThanOrEqual(8)
    expect(sent.stored.sort()).toEqual(mailboxesOf(bytesToHex(bob.publicKey.subarray(1)), members).slice(0, 3).map((m) => m.id).sort())
    const bobT = identityTransport(bob)
    try {
      const inbox = await readInbox(bobT, members, bob.secretKey)
      expect(inbox.mails).toHaveLength(1)
      expect(inbox.mails[0]).toMatchObject({ id: sent.id, subject: 'quarterly figures', body: 'revenue is up 12 percent', address: p2pkhAddress(alice.publicKey) })
      // Another key lists its own (empty) mailbox, never Bob's; a node key cannot list at all.
      const carolT = identityTransport(carol)
      expect((await readInbox(carolT, members, carol.secretKey)).mails).toHaveLength(0)
      await carolT.close()
      expect(await code(request(transport, members[0]!, MAIL_CODECS.list.encode({}), 5_000))).toBe('refused')
      // The mailboxes' disks: no subject, body, or sender key or address.
      let holding = 0
      for (const home of homes) {
        const text = await dump(home)
        if (text.includes(sent.wrap)) holding++ // the wraps are there…
        for (const secret of ['quarterly', 'revenue', bytesToHex(alice.publicKey), bytesToHex(alice.publicKey.subarray(1)), p2pkhAddress(alice.publicKey)]) expect(text, `${home} holds ${secret}`).not.toContain(secret)
      }
      expect(holding).toBe(3)
      const removed = await deleteMail(bobT, members, bob.secretKey, [sent.wrap])
      expect(removed.deleted).toBe(3)
      expect((await readInbox(bobT, members, bob.secretKey)).mails).toHaveLength(0)
      expect(await readInboxRaw(sent.wrap)).toBeUndefined()
    } finally {
      await bobT.close()
    }
  }, 60_000)

  it('a mailbox that missed a mail gets it from the others by reconciliation', async () => {
    const to = carol.publicKey
    const [first, second, third] = mailboxesOf(bytesToHex(to.subarray(1)), members)
    const { wrap } = sealMail({ secretKey: alice.secretKey, to, subject: 'to two only', body: 'x', now: Math.floor(Date.now() / 1000), powBits: 8 })
    for (const m of [first!, second!]) await request(transport, m, MAIL_CODECS.deliver.encode({ wrap }), 5_000)
    const thirdNode = nodes.find((n) => n.nodeId === third!.id) ?? nodes.find((n) => organ(n).store.box(bytesToHex(to.subarray(1))) === undefined)!
    await waitUntil('the third mailbox to reconcile', () => organ(thirdNode).store.get(bytesToHex(to.subarray(1)), [wrap.id]).length, (n) => n === 1, { timeoutMs: 15_000 })
  }, 30_000)

  it('throttles a flood from one sender while another sender’s mail is delivered', async () => {
    const flooder = new HttpsTransport({ signer: testSigner(), log: silentLogger, timeoutMs: 10_000 })
    try {
      const target = mailboxesOf(bytesToHex(bob.publicKey.subarray(1)), members)[0]!
      const outcomes = await Promise.all(
        Array.from({ length: 120 }, async (_, i) => {
          // Spam without the proof of work (a lucky wrap id that has it by chance is drawn again): none is stored.
          let { wrap } = sealMail({ secretKey: carol.secretKey, to: bob.publicKey, subject: '', body: `spam ${i}`, now: Math.floor(Date.now() / 1000) })
          while (leadingZeroBits(wrap.id) >= 8) wrap = sealMail({ secretKey: carol.secretKey, to: bob.publicKey, subject: '', body: `spam ${i}`, now: Math.floor(Date.now() / 1000) }).wrap
          return code(request(flooder, target, MAIL_CODECS.deliver.encode({ wrap }), 10_000))
        }),
      )
      const busy = outcomes.filter((o) => o === 'busy').length
      expect(busy).toBeGreaterThanOrEqual(80)
      const legit = await sendMail(transport, members, { secretKey: alice.secretKey, to: bob.publicKey, subject: 'still here', body: 'hi', now: Date.now() })
      expect(outcomes.filter((o) => o !== 'busy').every((o) => o === 'refused')).toBe(true) // those let through lacked the proof of work
      expect(legit.stored.length).toBeGreaterThanOrEqual(2)
      expect(organ(nodes.find((n) => n.nodeId === target.id)!).rates.throttled.sender).toBeGreaterThanOrEqual(80)
    } finally {
      await flooder.close()
    }
  }, 60_000)

  it('refuses malformed wraps, wrong shapes and oversized ones, storing nothing', async () => {
    const target = members[0]!
    const { wrap } = sealMail({ secretKey: alice.secretKey, to: bob.publicKey, subject: '', body: 'ok', now: Math.floor(Date.now() / 1000) })
    const cases: unknown[] = ['text', { ...wrap, sig: '00'.repeat(64) }, { ...wrap, created_at: wrap.created_at + 1 }, { ...wrap, kind: 1 }, { ...wrap, tags: [] }, { ...wrap, content: 'A'.repeat(120_000) }]
    const codes = []
    for (const c of cases) codes.push(await code(deliverAs(target, MAIL_CODECS.deliver.encode({ wrap: c }))))
    expect(codes).toEqual(['malformed', 'bad-signature', 'malformed', 'malformed', 'malformed', 'too-large'])
    // A valid wrap handed to a mail cell that is not one of the recipient's mailboxes (the fourth of four here).
    const fourth = mailboxesOf(bytesToHex(bob.publicKey.subarray(1)), members)[3]!
    const mined = sealMail({ secretKey: alice.secretKey, to: bob.publicKey, subject: '', body: 'elsewhere', now: Math.floor(Date.now() / 1000), powBits: 8 }).wrap
    expect(await code(deliverAs(fourth, MAIL_CODECS.deliver.encode({ wrap: mined })))).toBe('wrong-recipient')
    // The same wrap delivered twice (a replay) is stored once.
    const home = mailboxesOf(bytesToHex(bob.publicKey.subarray(1)), members)[0]!
    const first = MAIL_CODECS.deliverReply.decode(await deliverAs(home, MAIL_CODECS.deliver.encode({ wrap: mined })))
    const again = MAIL_CODECS.deliverReply.decode(await deliverAs(home, MAIL_CODECS.deliver.encode({ wrap: mined })))
    expect([first.outcome, again.outcome]).toEqual(['stored', 'known'])
    await deleteMail(identityTransport(bob), members, bob.secretKey, [mined.id])
    // A valid wrap without the work the mailbox asks for.
    let lazy = wrap
    while (leadingZeroBits(lazy.id) >= 8) lazy = sealMail({ secretKey: alice.secretKey, to: bob.publicKey, subject: '', body: 'ok', now: Math.floor(Date.now() / 1000) }).wrap
    expect(await code(deliverAs(home, MAIL_CODECS.deliver.encode({ wrap: lazy })))).toBe('refused')
    // Nothing of it is held anywhere (the refused wraps, the lazy one, and the replayed one after its deletion).
    const bobX = bytesToHex(bob.publicKey.subarray(1))
    for (const n of nodes) expect(organ(n).store.get(bobX, [wrap.id, lazy.id, mined.id])).toEqual([])
  })

  it('publishes and resolves mail keys by address; refuses a key published for someone else’s address', async () => {
    const node = { ask: async <Q, A>(ex: { request: { encode(v: Q): import('../../src/core/wire/message.js').Outgoing }; reply: { decode(m: import('../../src/core/wire/message.js').Incoming): A } }, value: Q) => ex.reply.decode(await request(transport, { endpoint: nodes[1]!.cells[0]!.endpoints.recp }, ex.request.encode(value), 5_000)) }
    await publishMailKey(node, bob, bob.publicKey)
    const found = await resolveRecipient(node, p2pkhAddress(bob.publicKey))
    expect(bytesToHex(found.key)).toBe(bytesToHex(bob.publicKey))
    expect(await code(resolveRecipient(node, p2pkhAddress(carol.publicKey)))).toBe('not-found')
    expect(await code(resolveRecipient(node, 'nonsense'))).toBe('invalid-input')
  })
})

/** One delivery from a fresh key (its own rate-limit budget): the answer. */
async function deliverAs(peer: Member, message: import('../../src/core/wire/message.js').Outgoing): Promise<import('../../src/core/wire/message.js').Incoming> {
  const once = new HttpsTransport({ signer: testSigner(), log: silentLogger, timeoutMs: 10_000 })
  try {
    return await request(once, peer, message, 5_000)
  } finally {
    await once.close()
  }
}

/** Every byte under a node's home, as text (a grep for plaintext). */
async function dump(home: string): Promise<string> {
  let out = ''
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) await walk(p)
      else out += (await readFile(p)).toString('latin1')
    }
  }
  await walk(home)
  return out
}

async function readInboxRaw(wrapId: string): Promise<unknown> {
  for (const n of nodes) {
    const found = organ(n).store.get(bytesToHex(bob.publicKey.subarray(1)), [wrapId])
    if (found.length > 0) return found[0]
  }
  return undefined
}

void signerFromSecretKey
