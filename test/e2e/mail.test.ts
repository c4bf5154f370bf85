/**
 * Mail as people use it, across real processes on loopback (docs/mail.md):
 * four `borg node join --cells mail` nodes. Bob publishes his mail key and
 * goes offline; Alice sends him three mails by address; one of Bob's
 * mailboxes is killed with kill -9; Bob lists and reads everything; Bob's
 * 24 words restored into a fresh home read the same mail. No mailbox's disk
 * holds a body, a subject or Alice's address. A flood of 10,000 wraps from
 * one source is throttled while Alice's mail still gets through. Bad input
 * gets a clear error and its exit status. Prints delivery latency figures.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { bytesToHex } from '../../src/core/bytes.js'
import { loadOrCreateNodeKey } from '../../src/core/identity/node-key.js'
import { silentLogger } from '../../src/core/log.js'
import { HttpsTransport } from '../../src/core/net/https-transport.js'
import { request } from '../../src/core/messaging/requests.js'
import { sealMail } from '../../src/core/mail/gift-wrap.js'
import { MAIL_CODECS } from '../../src/cells/mail/messages.js'
import { mailboxesOf } from '../../src/client/mail-client.js'
import { generateKeyPair } from '../../src/core/crypto/secp256k1.js'
import { p2pkhAddress } from '../../src/core/identity/address.js'
import { testSigner } from '../helpers/keys.js'
import { waitFor, type NodeProcess } from '../../scripts/lib/process-organism.js'
import { processOrganismForFile } from './process-organism-for-file.js'

const { organism, work } = await processOrganismForFile('mail', { BORG_KDF_FAST: '1', BORG_LOG_LEVEL: 'warn', BORG_MAIL_SYNC_MS: '1000' })
organism.contactWaitS = 60
const PASS = { BORG_PASSPHRASE: 'mail e2e test' }
const MAIL_NET = 13393
const MAIL_RECP = 13395
let aliceHome = ''
let bobHome = ''
let bob = { address: '', publicKey: '', mnemonic: '' }
let alice = { address: '' }
const ids: string[] = []
const figures: string[] = []

const entry = (n: NodeProcess) => `127.0.0.1:${n.portBase + MAIL_NET}`

async function borg(home: string, args: string[], env: Record<string, string> = PASS, input?: string) {
  const started = performance.now()
  const r = await organism.exec(home, args, { env, timeoutMs: 120_000, ...(input !== undefined ? { input } : {}) })
  return { code: r.code, stdout: r.stdout.toString(), stderr: r.stderr, ms: performance.now() - started }
}

async function json<T>(home: string, args: string[], env: Record<string, string> = PASS, input?: string): Promise<T> {
  const r = await borg(home, [...args, '--json'], env, input)
  if (r.code !== 0) throw new Error(`borg ${args.join(' ')} exited ${r.code}: ${r.stdout} ${r.stderr}`)
  return JSON.parse(r.stdout) as T
}

async function dump(home: string): Promise<string> {
  let out = ''
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name)
      if (e.isDirectory()) await walk(p)
      else out += (await readFile(p).catch(() => Buffer.alloc(0))).toString('latin1')
    }
  }
  await walk(home)
  return out
}

beforeAll(async () => {
  const first = await organism.add([], 'mail')
  for (let i = 1; i < 4; i++) await organism.add([0], 'mail')
  for (const n of organism.nodes) ids.push(bytesToHex((await loadOrCreateNodeKey(n.home)).id))
  await organism.oneTreeEach(['mail'])
  aliceHome = await mkdtemp(join(work, 'alice-'))
  bobHome = await mkdtemp(join(work, 'bob-'))
  alice = await json(aliceHome, ['id', 'new'])
  bob = await json(bobHome, ['id', 'new'])
  void first
}, 180_000)

describe('mail across real processes', () => {
  it('reaches Bob while he is offline, survives kill -9 of a mailbox, and reads the same after restoring his words elsewhere', async () => {
    // Bob lists once (publishing his mail key), then is offline: nothing of his runs.
    expect(await json<unknown[]>(bobHome, ['mail', 'ls', '--node', entry(organism.nodes[1]!)])).toEqual([])
    // The directory reaches the node Alice enters by.
    const sends: { id: string; ms: number; mailboxes: string[] }[] = []
    await waitFor('Bob’s mail key to reach node 0', async () => {
      const r = await borg(aliceHome, ['mail', 'send', '--to', bob.address, '--subject', 'first of three', '--node', entry(organism.nodes[0]!), '--json'], PASS, 'The rendezvous is at the old mill.')
      if (r.code === 0) sends.push(JSON.parse(r.stdout))
      else if (!/not published a mail key/.test(r.stderr + r.stdout)) throw new Error(`mail send exited ${r.code}: ${r.stderr}`)
      return r.code === 0 ? true : undefined
    }, 30_000, 500)
    for (const [subject, body] of [['second', 'Bring the maps.'], ['third', 'And the lantern.']]) {
      const sent = await json<{ id: string; ms: number; mailboxes: string[] }>(aliceHome, ['mail', 'send', '--to', bob.address, '--subject', subject!, '--node', entry(organism.nodes[2]!)], PASS, body)
      sends.push(sent)
    }
    expect(sends.every((s) => s.mailboxes.length === 3)).toBe(true)
    figures.push(`send → delivered on 3 mailboxes (in the CLI, sealing included): ${sends.map((s) => `${s.ms} ms`).join(', ')}`)
    // One of Bob's mailboxes dies.
    const bobKey = bob.publicKey.slice(2)
    const mailboxes = mailboxesOf(bobKey, ids.map((id, i) => ({ id, endpoint: `127.0.0.1:${organism.nodes[i]!.portBase + MAIL_NET}` }))).slice(0, 3)
    const victim = organism.nodes[ids.indexOf(mailboxes[0]!.id)]!
    organism.kill9(victim)
    const via = organism.alive()[0]!
    // Bob comes back: everything is there, and reads.
    const listStarted = performance.now()
    const listed = await json<{ id: string; subject: string; from: string }[]>(bobHome, ['mail', 'ls', '--node', entry(via)])
    figures.push(`mail ls with one mailbox killed: ${(performance.now() - listStarted).toFixed(0)} ms (CLI start included)`)
    expect(listed.map((m) => m.subject).sort()).toEqual(['first of three', 'second', 'third'])
    expect(listed.every((m) => m.from === alice.address)).toBe(true)
    const first = listed.find((m) => m.subject === 'first of three')!
    const read = await json<{ body: string; from: string }>(bobHome, ['mail', 'read', first.id.slice(0, 10), '--node', entry(via)])
    expect(read).toMatchObject({ body: 'The rendezvous is at the old mill.', from: alice.address })
    // Bob's words on a fresh home (another machine, in effect) read the same mail.
    const fresh = await mkdtemp(join(work, 'bob-restored-'))
    expect((await borg(fresh, ['id', 'restore', '--json'], PASS, `${bob.mnemonic}\n`)).code).toBe(0)
    const again = await json<{ id: string; subject: string }[]>(fresh, ['mail', 'ls', '--node', entry(organism.alive()[1]!)])
    expect(again.map((m) => m.id).sort()).toEqual(listed.map((m) => m.id).sort())
    expect((await json<{ body: string }>(fresh, ['mail', 'read', first.id, '--node', entry(via)])).body).toBe('The rendezvous is at the old mill.')
    // No mailbox's disk holds a body, a subject, or Alice's address or key.
    for (const n of organism.nodes) {
      const text = await dump(n.home)
      for (const secret of ['rendezvous', 'old mill', 'lantern', 'first of three', alice.address]) expect(text, `node ${n.index} holds "${secret}"`).not.toContain(secret)
    }
    // Deleted on the live mailboxes: gone from the list, and from the dead one's copy once it is back.
    expect((await borg(bobHome, ['mail', 'rm', first.id, '--node', entry(via), '--json'])).code).toBe(0)
    organism.launch(victim, [organism.nodes.indexOf(via)], 'mail')
    await waitFor('the killed mailbox to answer again', async () => ((await borg(bobHome, ['mail', 'ls', '--node', entry(victim), '--json'])).code === 0 ? true : undefined), 60_000, 1000)
    const after = await json<{ subject: string }[]>(bobHome, ['mail', 'ls', '--node', entry(victim)])
    expect(after.map((m) => m.subject).sort()).toEqual(['second', 'third'])
  }, 300_000)

  it('throttles a flood of 10,000 wraps from one source while Alice’s mail is delivered', async () => {
    const bobKey = bob.publicKey.slice(2)
    const live = organism.alive()
    const liveIds = live.map((n) => ids[organism.nodes.indexOf(n)]!)
    const target = mailboxesOf(bobKey, liveIds.map((id, i) => ({ id, endpoint: `127.0.0.1:${live[i]!.portBase + MAIL_NET}` })))[0]!
    const targetNode = live[liveIds.indexOf(target.id)]!
    const flooder = new HttpsTransport({ signer: testSigner(), log: silentLogger, timeoutMs: 20_000 })
    const spamKeys = generateKeyPair()
    const spammer = spamKeys.secretKey
    const to = Buffer.from(bob.publicKey, 'hex')
    const wraps = Array.from({ length: 200 }, (_, i) => sealMail({ secretKey: spammer, to, subject: '', body: `buy now ${i}`, now: Math.floor(Date.now() / 1000) }).wrap)
    const outcomes = new Map<string, number>()
    let sent = 0
    const started = performance.now()
    const peer = { endpoint: `127.0.0.1:${targetNode.portBase + MAIL_RECP}`, id: target.id }
    const flood = Promise.all(
      Array.from({ length: 32 }, async () => {
        while (sent < 10_000) {
          const wrap = wraps[sent++ % wraps.length]
          const outcome = await request(flooder, peer, MAIL_CODECS.deliver.encode({ wrap }), 20_000).then(
            () => 'stored',
            (e: { code?: string }) => e.code ?? 'error',
          )
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
        }
      }),
    )
    // Alice sends while the flood runs.
    await new Promise((r) => setTimeout(r, 2000))
    const legit = await json<{ mailboxes: string[] }>(aliceHome, ['mail', 'send', '--to', bob.address, '--subject', 'during the flood', '--node', entry(live[0]!)], PASS, 'still works')
    await flood
    const seconds = (performance.now() - started) / 1000
    await flooder.close()
    figures.push(`flood: 10,000 wraps in ${seconds.toFixed(1)} s (${Math.round(10_000 / (seconds / 60))}/min) from one key and address: ${[...outcomes].map(([k, v]) => `${v} ${k}`).join(', ')}`)
    expect(outcomes.get('busy') ?? 0).toBeGreaterThan(9_000)
    expect(legit.mailboxes.length).toBeGreaterThanOrEqual(2)
    const listed = await json<{ subject: string; from: string }[]>(bobHome, ['mail', 'ls', '--node', entry(live[1]!)])
    expect(listed.map((m) => m.subject)).toContain('during the flood')
    // The spam that got past the limits: Bob blocks its sender; it is gone from his list and his mailboxes.
    const spamAddress = p2pkhAddress(spamKeys.publicKey)
    const spam = listed.filter((m) => m.from === spamAddress).length
    expect(spam).toBeGreaterThan(0)
    const wrapsOnTarget = async () => (await json<{ cells: { name: string; organs?: { mailboxes?: { wraps: number } } }[] }>(targetNode.home, ['node', 'status'])).cells.find((c) => c.name === 'mail')?.organs?.mailboxes?.wraps
    const before = await wrapsOnTarget()
    await json(bobHome, ['mail', 'block', spamAddress])
    const clean = await json<{ from: string }[]>(bobHome, ['mail', 'ls', '--node', entry(live[1]!)])
    expect(clean.every((m) => m.from === alice.address)).toBe(true)
    // The flooded mailbox took every spam that got in; it holds none now.
    expect(await wrapsOnTarget()).toBe(before! - spam)
    // An allow list: mail from anyone else is held back, and listed with --all.
    await json(bobHome, ['mail', 'allow', alice.address])
    const carolHome = await mkdtemp(join(work, 'carol-'))
    await json(carolHome, ['id', 'new'])
    await json(carolHome, ['mail', 'send', '--to', bob.address, '--subject', 'from a stranger', '--node', entry(live[0]!)], PASS, 'hello?')
    expect((await json<{ subject: string }[]>(bobHome, ['mail', 'ls', '--node', entry(live[1]!)])).map((m) => m.subject)).not.toContain('from a stranger')
    const all = await json<{ subject: string; held: boolean }[]>(bobHome, ['mail', 'ls', '--all', '--node', entry(live[1]!)])
    expect(all.find((m) => m.subject === 'from a stranger')?.held).toBe(true)
  }, 300_000)

  it('refuses bad input with a clear error and its exit status', async () => {
    const node = entry(organism.alive()[0]!)
    const cases: [string, string[], number, RegExp, string?][] = [
      ['an address with no mail key', ['mail', 'send', '--to', p2pkhAddress(generateKeyPair().publicKey), '--node', node], 3, /not published a mail key/],
      ['a malformed recipient', ['mail', 'send', '--to', 'nobody', '--node', node], 2, /neither an address nor a public key/],
      ['a body too large', ['mail', 'send', '--to', bob.publicKey, '--node', node], 7, /too-large|at most/, 'x'.repeat(70_000)],
      ['no body', ['mail', 'send', '--to', bob.publicKey, '--node', node], 2, /no body/, ''],
      ['a malformed id', ['mail', 'read', 'zz', '--node', node], 2, /8 to 64 hex digits/],
      ['no such mail', ['mail', 'read', 'abcdef0123', '--node', node], 3, /no mail/],
      ['a wrong passphrase', ['mail', 'ls', '--node', node], 5, /passphrase/i],
    ]
    for (const [what, args, status, message, input] of cases) {
      const home = what === 'a malformed id' || what === 'no such mail' || what === 'a wrong passphrase' ? bobHome : aliceHome
      const env = what === 'a wrong passphrase' ? { BORG_PASSPHRASE: 'not it' } : PASS
      const r = await borg(home, [...args, '--json'], env, input ?? 'hello')
      expect({ what, code: r.code }).toEqual({ what, code: status })
      expect(`${r.stdout}${r.stderr}`, what).toMatch(message)
    }
    console.log(`mail figures:\n  ${figures.join('\n  ')}`)
  }, 120_000)
})
