/**
 * The ledger cell over real HTTPS on loopback, four representatives in this
 * process: wallets send, receive automatically, delegate; every
 * representative ends with the same state and the whole supply; a restarted
 * representative reads its state back from its log; a representative that
 * was down catches up from its peers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bytesToHex } from '../../src/core/bytes.js'
import type { BorgError } from '../../src/core/errors.js'
import { MAINNET, p2pkhAddress } from '../../src/core/identity/address.js'
import { loadOrCreateNodeKey } from '../../src/core/identity/node-key.js'
import { ed25519Signer, nodeSigner } from '../../src/core/identity/signer.js'
import { generateEd25519SecretKey } from '../../src/core/crypto/ed25519.js'
import { silentLogger } from '../../src/core/log.js'
import { HttpsTransport } from '../../src/core/net/https-transport.js'
import { OrganismNode } from '../../src/core/node/organism-node.js'
import { OS_ASSIGNED_PORTS } from '../../src/core/node/cell-instance.js'
import { parseShells, TOTAL_SUPPLY } from '../../src/core/ledger/amount.js'
import { writeNewGenesis } from '../../src/core/ledger/genesis-file.js'
import { ledgerCell, type LedgerOrgan } from '../../src/cells/ledger/index.js'
import { LedgerClient } from '../../src/client/ledger-client.js'
import { Wallet } from '../../src/client/wallet.js'
import { payOut } from '../../src/client/payouts.js'
import { testSigner } from '../helpers/keys.js'
import { request } from '../../src/core/messaging/requests.js'
import { LEDGER_CODECS } from '../../src/cells/ledger/messages.js'
import { buildSend } from '../../src/core/ledger/chain.js'
import { encodeCertificate, signVote } from '../../src/core/ledger/certificate.js'
import { waitUntil } from '../helpers/wait-until.js'

const treasury = testSigner('secp256k1')
const alice = testSigner('secp256k1')
const bob = testSigner('secp256k1')
const homes: string[] = []
const nodes: (OrganismNode | undefined)[] = []
let dir: string
let transport: HttpsTransport
let genesisFile: string

const organ = (node: OrganismNode) => node.cells.find((c) => c.name === 'ledger')!.organs[0] as LedgerOrgan

async function startNode(i: number, contacts: string[]): Promise<OrganismNode> {
  const node = await OrganismNode.start({ home: homes[i]!, cells: [ledgerCell], contacts, portBase: OS_ASSIGNED_PORTS, bindHost: '127.0.0.1', advertiseHost: '127.0.0.1', contactWaitMs: 30_000 })
  nodes[i] = node
  return node
}

const live = () => nodes.filter((n): n is OrganismNode => n !== undefined)
const contactsOf = () => live().map((n) => n.cells[0]!.endpoints.net)

function client(): LedgerClient {
  return new LedgerClient({ transport, entry: { endpoint: nodes[0]!.cells[0]!.endpoints.recp } })
}

/** Every live node knows all four representatives' endpoints and has applied `certified` blocks. */
async function settled(certified: number): Promise<void> {
  await waitUntil(
    `every node to have applied ${certified} certified blocks`,
    () => live().map((n) => organ(n).ledger?.certifiedCount),
    (counts) => counts.every((c) => c === certified),
    { timeoutMs: 30_000 },
  )
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'borg-ledger-cell-'))
  for (let i = 0; i < 4; i++) homes.push(await mkdtemp(join(dir, `rep${i}-`)))
  const ids = await Promise.all(homes.map(async (h) => bytesToHex((await loadOrCreateNodeKey(h)).id)))
  genesisFile = join(dir, 'genesis.json')
  await writeNewGenesis(genesisFile, { name: 'cell test', representatives: ids, addressVersion: MAINNET.p2pkh, now: Date.now() }, treasury)
  process.env.BORG_LEDGER_GENESIS = genesisFile
  process.env.BORG_LEDGER_SYNC_MS = '200'
  process.env.BORG_LEDGER_EPOCH_MS = '300'
  const first = await startNode(0, [])
  for (let i = 1; i < 4; i++) await startNode(i, [first.cells[0]!.endpoints.net])
  transport = new HttpsTransport({ signer: nodeSigner(await loadOrCreateNodeKey(dir)), log: silentLogger, timeoutMs: 10_000 })
  await waitUntil(
    'every node to know all four representatives',
    () => live().map((n) => organ(n).statusReply().committee?.filter((m) => m.endpoint).length),
    (known) => known.every((k) => k === 4),
    { timeoutMs: 60_000 },
  )
}, 120_000)

afterAll(async () => {
  delete process.env.BORG_LEDGER_GENESIS
  delete process.env.BORG_LEDGER_SYNC_MS
  delete process.env.BORG_LEDGER_EPOCH_MS
  await transport?.close()
  await Promise.all(live().map((n) => n.stop().catch(() => undefined)))
  await rm(dir, { recursive: true, force: true, maxRetries: 5 })
})

describe('the ledger cell', () => {
  it('certifies a send, the recipient receives it automatically, and every representative holds the whole supply', async () => {
    const c = client()
    const t = new Wallet(c, treasury)
    const sent = await t.send(p2pkhAddress(alice.publicKey), parseShells('1000'), 'first')
    expect(sent.height).toBe(1n)
    expect(sent.balance).toBe(TOTAL_SUPPLY - parseShells('1000'))
    // Alice's wallet signs with a spending key her identity authorized (as `borg wallet` does).
    const spending = ed25519Signer(generateEd25519SecretKey())
    const a = new Wallet(client(), alice, { spending })
    const { view, finished } = await a.settle()
    expect(finished.map((f) => f.op)).toEqual(['open'])
    expect(view.balance).toBe(parseShells('1000'))
    const back = await a.send(p2pkhAddress(treasury.publicKey), parseShells('1.5'))
    expect(back.balance).toBe(parseShells('998.5'))
    const chain = await c.history(bytesToHex(alice.keyId))
    expect(chain.map((e) => e.signed.block.spending?.key && bytesToHex(e.signed.block.spending.key))).toEqual([bytesToHex(spending.keyId), bytesToHex(spending.keyId)])
    await settled(3)
    for (const n of live()) expect(organ(n).ledger!.rep.ledger.supply()).toBe(TOTAL_SUPPLY)
    // The treasury receives the 1.5 back on its next settle.
    const { view: tv } = await t.settle()
    expect(tv.balance).toBe(TOTAL_SUPPLY - parseShells('998.5'))
  }, 60_000)

  it('refuses what no representative may sign: overspending, a malformed address', async () => {
    const b = new Wallet(client(), bob)
    const a = new Wallet(client(), alice)
    const code = (p: Promise<unknown>) => p.then(() => 'no error', (e: BorgError) => e.code)
    expect(await code(b.send(p2pkhAddress(alice.publicKey), 1n))).toBe('not-found') // bob has nothing
    expect(await code(a.send(p2pkhAddress(bob.publicKey), parseShells('5000')))).toBe('refused')
    expect(await code(a.send('DNotAnAddress', 1n))).toBe('invalid-input')
  }, 60_000)

  it('a prepared send is one send however often, and through whichever entry, it is submitted (the conduit’s failover)', async () => {
    const at = (i: number) => new LedgerClient({ transport, entry: { endpoint: nodes[i]!.cells[0]!.endpoints.recp } })
    const carol = p2pkhAddress(testSigner('secp256k1').publicKey)
    const t = new Wallet(at(0), treasury)
    const before = (await t.settle()).view.balance
    const signed = await t.prepareSend(carol, parseShells('2'), 'once')
    const first = await new Wallet(at(1), treasury).submit(signed)
    expect(first.certifiedMs).toBeGreaterThan(0)
    // Submitted again through another entry (a retry after a lost answer): already the head, nothing new.
    const again = await new Wallet(at(2), treasury).submit(signed)
    expect([again.id, again.certifiedMs]).toEqual([first.id, 0])
    expect((await new Wallet(at(3), treasury).settle()).view.balance).toBe(before - parseShells('2'))
    // A stale block for a height another block took is refused, and changes nothing.
    const next = await t.prepareSend(carol, parseShells('1'))
    await t.submit(next)
    const other = buildSend({ network: signed.block.network, addressNetwork: MAINNET, signer: treasury, now: Date.now }, { height: signed.block.height, id: signed.id, balance: signed.block.balance, representative: signed.block.representative }, carol, parseShells('7'))
    expect(await new Wallet(at(2), treasury).submit(other).then(() => 'applied', (e: BorgError) => e.code)).toBe('refused')
    expect((await new Wallet(at(0), treasury).settle()).view.balance).toBe(before - parseShells('3'))
  }, 60_000)

  it('refuses malformed blocks, wrong signatures and forged certificates on the wire, and stores nothing', async () => {
    const peer = { endpoint: nodes[0]!.cells[0]!.endpoints.recp }
    const book = organ(nodes[0]!).ledger!
    const certified = book.certifiedCount
    const a = new Wallet(client(), alice)
    await a.settle()
    const view = await client().account({ account: bytesToHex(alice.keyId) })
    const head = view.head!.signed
    const good = buildSend({ network: book.network, addressNetwork: MAINNET, signer: alice, now: Date.now }, { height: head.block.height, id: head.id, balance: head.block.balance, representative: head.block.representative }, p2pkhAddress(bob.publicKey), 1n)
    const vote = async (block: string) => LEDGER_CODECS.voteReply.decode(await request(transport, peer, LEDGER_CODECS.vote.encode({ items: [{ block }] }), 10_000)).results[0]!
    expect(await vote('00ff')).toMatchObject({ code: 'malformed' })
    const flipped = Uint8Array.from(good.bytes)
    flipped[flipped.length - 1]! ^= 1
    expect(await vote(bytesToHex(flipped))).toMatchObject({ code: 'bad-signature' })
    const truncated = bytesToHex(good.bytes.subarray(0, good.bytes.length - 1))
    expect(await vote(truncated)).toMatchObject({ code: 'malformed' })
    // A certificate signed by keys outside the committee, or by too few of it, applies nothing.
    const outsider = testSigner('ed25519')
    const statement = { network: book.network, epoch: 0n, account: good.block.account, height: good.block.height, block: good.id }
    const forged = { ...statement, votes: [signVote(statement, outsider), signVote(statement, { keyId: book.self.keyId, sign: (m: Uint8Array) => book.self.sign(m) })] }
    const confirm = await request(transport, peer, LEDGER_CODECS.confirm.encode({ items: [{ block: bytesToHex(good.bytes), certificate: bytesToHex(encodeCertificate(forged)) }] }), 10_000)
    expect(LEDGER_CODECS.confirmReply.decode(confirm).results[0]).toMatchObject({ outcome: 'refused', code: 'refused' })
    // Unknown account: an empty answer, not an error; a malformed address: invalid-input.
    const unknown = await client().account({ account: bytesToHex(testSigner('secp256k1').keyId) })
    expect(unknown).toMatchObject({ balance: 0n, receivable: [] })
    await expect(client().account({ address: 'Dxxxxxxxxxxxxxxxxxxxxxxxxx' })).rejects.toMatchObject({ code: 'invalid-input' })
    expect(book.certifiedCount).toBe(certified)
  }, 60_000)

  it('the treasury pays a batch of payouts once, however often the batch is run', async () => {
    const batch = [
      { id: 'storage-2026-12-03-alice', to: p2pkhAddress(alice.publicKey), amount: parseShells('3') },
      { id: 'relay-2026-12-03-bob', to: p2pkhAddress(bob.publicKey), amount: parseShells('0.25') },
    ]
    const t = new Wallet(client(), treasury)
    const first = await payOut(client(), t, batch)
    expect(first.map((r) => r.outcome)).toEqual(['paid', 'paid'])
    const again = await payOut(client(), new Wallet(client(), treasury), batch)
    expect(again.map((r) => r.outcome)).toEqual(['already', 'already'])
    await expect(payOut(client(), t, [batch[0]!, batch[0]!])).rejects.toMatchObject({ code: 'invalid-input' })
  }, 60_000)

  it('a delegation moves the account’s representative', async () => {
    const a = new Wallet(client(), alice)
    const rep = organ(nodes[2]!).statusReply().node
    await a.delegate(rep)
    const view = await client().account({ account: bytesToHex(alice.keyId) })
    expect(view.representative).toBe(rep)
  }, 60_000)

  it('a representative restarted reads its state back; one that was down catches up from its peers', async () => {
    const before = organ(nodes[0]!).ledger!.certifiedCount
    await nodes[3]!.stop()
    nodes[3] = undefined
    // Three of four hold more than 2/3 of the weight: transfers go on.
    const t = new Wallet(client(), treasury)
    for (let i = 0; i < 3; i++) await t.send(p2pkhAddress(bob.publicKey), parseShells('2'))
    await settled(before + 3)
    const back = await startNode(3, contactsOf())
    await waitUntil('the restarted representative to catch up', () => organ(back).ledger?.certifiedCount, (n) => n === before + 3, { timeoutMs: 60_000 })
    expect(organ(back).ledger!.rep.ledger.supply()).toBe(TOTAL_SUPPLY)
    const heads = live().map((n) => organ(n).ledger!.account({ account: treasury.keyId }, () => '').head?.block)
    expect(new Set(heads).size).toBe(1)
  }, 120_000)

  it('weight moves with delegation at the next epoch; old certificates still check, and a restarted node reads its epochs back', async () => {
    const c = client()
    const t = new Wallet(c, treasury)
    const rep3 = organ(nodes[3]!).statusReply().node
    const rep1 = organ(nodes[1]!).statusReply().node
    await t.send(p2pkhAddress(bob.publicKey), parseShells('100000'))
    const b = new Wallet(client(), bob)
    await b.settle()
    await b.delegate(rep3)
    // 100,000 of bob's Shells (0.5 %) now count for rep3, at every node, from some epoch on.
    await waitUntil(
      'every node to take on a committee with bob’s weight on rep3',
      // Beside rep1, which holds its share of the treasury's weight only.
      () => live().map((n) => ({ epoch: organ(n).ledger!.epoch, rep3: organ(n).ledger!.committee.weights.get(rep3), rep1: organ(n).ledger!.committee.weights.get(rep1) })),
      (views) => views.every((v) => v.epoch > 0n && v.rep3 !== undefined && v.rep1 !== undefined && v.rep3 - v.rep1 >= parseShells('98000')),
      { timeoutMs: 60_000 },
    )
    const epochs = live().map((n) => organ(n).ledger!.epoch)
    // Transfers go on under the new committee; a client checks blocks certified in earlier epochs.
    const sent = await new Wallet(client(), treasury).send(p2pkhAddress(alice.publicKey), parseShells('1'))
    expect(sent.certifiedMs).toBeGreaterThan(0)
    // (alice's open was certified before bob's weight moved: epoch 0, or 1 when the first epoch turned early)
    const history = await client().history(bytesToHex(alice.keyId))
    expect(Number(history[0]!.certificate!.epoch)).toBeLessThan(Math.max(...epochs.map(Number)))
    // A restarted node has the epochs it took on from its log.
    const epoch = organ(nodes[1]!).ledger!.epoch
    await nodes[1]!.stop()
    nodes[1] = undefined
    const back = await startNode(1, contactsOf())
    await waitUntil('the restarted node to open its ledger', () => organ(back).ledger?.epoch, (e) => e !== undefined, { timeoutMs: 30_000 })
    expect(organ(back).ledger!.epoch).toBeGreaterThanOrEqual(epoch)
    expect(Math.max(...epochs.map(Number))).toBeGreaterThan(0)
  }, 120_000)
})
