/**
 * `borg wallet` and `borg ledger status` as a user runs them, against a real
 * node whose ledger network this test creates: the identity of the node's
 * home is the treasury and the node its one representative. Bad input gets a
 * clear error and its documented exit status, and nothing is stored.
 */
import { join } from 'node:path'
import { mkdtemp } from 'node:fs/promises'
import { beforeAll, describe, expect, it } from 'vitest'
import { bytesToHex } from '../../src/core/bytes.js'
import { loadOrCreateNodeKey } from '../../src/core/identity/node-key.js'
import { p2pkhAddress, TESTNET } from '../../src/core/identity/address.js'
import { generateKeyPair } from '../../src/core/crypto/secp256k1.js'
import { waitFor, type NodeProcess } from '../../scripts/lib/process-organism.js'
import { processOrganismForFile } from './process-organism-for-file.js'

const { organism, work } = await processOrganismForFile('wallet-cli', { BORG_KDF_FAST: '1' })
const PASS = { BORG_PASSPHRASE: 'wallet test' }
let node: NodeProcess
let entry = ''
let aliceHome = ''
let aliceAddress = ''

async function borg(home: string, args: string[], env: Record<string, string> = PASS) {
  const result = await organism.exec(home, args, { env, timeoutMs: 60_000 })
  return { code: result.code, stdout: result.stdout.toString(), stderr: result.stderr }
}

async function json<T>(home: string, args: string[], env: Record<string, string> = PASS): Promise<T> {
  const r = await borg(home, [...args, '--json'], env)
  if (r.code !== 0) throw new Error(`borg ${args.join(' ')} exited ${r.code}: ${r.stdout} ${r.stderr}`)
  return JSON.parse(r.stdout) as T
}

beforeAll(async () => {
  node = await organism.prepare()
  expect((await borg(node.home, ['id', 'new', '--json'])).code).toBe(0)
  const nodeId = bytesToHex((await loadOrCreateNodeKey(node.home)).id)
  const genesis = join(work, 'genesis.json')
  expect((await borg(node.home, ['ledger', 'genesis', '--rep', nodeId, '--name', 'cli-net', '--out', genesis])).code).toBe(0)
  node.env = { BORG_LEDGER_GENESIS: genesis }
  organism.launch(node, [], 'ledger')
  entry = `127.0.0.1:${node.portBase + 13390}`
  await waitFor('the ledger cell to answer', async () => ((await borg(node.home, ['ledger', 'status'])).code === 0 ? true : undefined), 60_000, 300)
  aliceHome = await mkdtemp(join(work, 'alice-'))
  aliceAddress = (await json<{ address: string }>(aliceHome, ['id', 'new'])).address
}, 120_000)

describe('borg wallet and borg ledger status', () => {
  it('status shows the epoch, the committee with its weight, and this node as its representative', async () => {
    const status = await json<{ epoch: string; role: string; committee: { id: string; weight: string; share: number }[]; supply: string; name: string }>(node.home, ['ledger', 'status'])
    expect(status).toMatchObject({ epoch: '0', role: 'representative', supply: '20000000', name: 'cli-net' })
    expect(status.committee).toHaveLength(1)
    expect(status.committee[0]).toMatchObject({ weight: '20000000', share: 100 })
  }, 60_000)

  it('sends Shells, waits for the certificate; the recipient sees them incoming, receives them, and lists its history', async () => {
    const sent = await json<{ id: string; amount: string; balance: string; certifiedMs: number; confirmed: boolean }>(node.home, ['wallet', 'send', '--to', aliceAddress, '12.5', '--memo', 'hello'])
    expect(sent).toMatchObject({ amount: '12.5', balance: '19999987.5', confirmed: true })
    expect(sent.id).toMatch(/^[0-9a-f]{64}$/)
    const before = await json<{ balance: string; incoming: string }>(aliceHome, ['wallet', 'balance', '--no-receive', '--node', entry])
    expect(before).toMatchObject({ balance: '0', incoming: '12.5' })
    // With BORG_PASSPHRASE set, the wallet receives them on its own.
    const after = await json<{ balance: string; incoming: string }>(aliceHome, ['wallet', 'balance', '--node', entry])
    expect(after).toMatchObject({ balance: '12.5', incoming: '0' })
    const history = await json<{ op: string; amount: string; source?: string }[]>(aliceHome, ['wallet', 'history', '--node', entry])
    expect(history).toEqual([expect.objectContaining({ op: 'open', amount: '12.5', source: sent.id })])
    const human = await borg(node.home, ['wallet', 'history'])
    expect(human.stdout).toMatch(/send\s+-12\.5 to /)
    // --no-wait returns once certified.
    const quick = await json<{ confirmed: boolean }>(node.home, ['wallet', 'send', '--to', aliceAddress, '0.000000001', '--no-wait'])
    expect(quick.confirmed).toBe(false)
  }, 120_000)

  it('refuses bad input with its exit status and stores nothing', async () => {
    const certified = async () => (await json<{ certified: number }>(node.home, ['ledger', 'status'])).certified
    // Alice receives what the --no-wait send gave her first: the count below is then for bad input alone.
    await json(aliceHome, ['wallet', 'balance', '--node', entry])
    const before = await certified()
    const cases: [string, string[], number, RegExp, string?][] = [
      ['10 decimals', ['wallet', 'send', '--to', aliceAddress, '1.0000000001'], 2, /10 decimals; Shells have 9/],
      ['negative', ['wallet', 'send', '--to', aliceAddress, '--', '-5'], 2, /not an amount of Shells/],
      ['overflowing', ['wallet', 'send', '--to', aliceAddress, '99999999999999999999'], 2, /more than the 20000000 Shells/],
      ['malformed address', ['wallet', 'send', '--to', 'DNotAnAddress0000', '1'], 2, /address/i],
      ['another network', ['wallet', 'send', '--to', p2pkhAddress(generateKeyPair().publicKey, TESTNET), '1'], 2, /address/i],
      ['more than the balance', ['wallet', 'send', '--to', aliceAddress, '1000', '--node', entry], 7, /insufficient balance/, 'alice'],
      ['malformed address to show', ['wallet', 'balance', 'notanaddress'], 2, /address/i],
      ['a representative that is not a key', ['wallet', 'delegate', 'ed00'], 2, /key id/],
      ['wrong passphrase', ['wallet', 'send', '--to', aliceAddress, '1'], 5, /passphrase/i, 'wrong'],
    ]
    for (const [what, args, status, message, who] of cases) {
      const home = who === 'alice' ? aliceHome : node.home
      const env = who === 'wrong' ? { BORG_PASSPHRASE: 'not it' } : PASS
      const r = await borg(home, [args[0]!, args[1]!, '--json', ...args.slice(2)], env)
      expect({ what, code: r.code }).toEqual({ what, code: status })
      expect(`${r.stdout}${r.stderr}`, what).toMatch(message)
    }
    // An account that never received anything: nothing to send from (3), no history (3).
    const empty = await mkdtemp(join(work, 'empty-'))
    const emptyAddress = (await json<{ address: string }>(empty, ['id', 'new'])).address
    expect((await borg(empty, ['wallet', 'send', '--to', aliceAddress, '1', '--node', entry])).code).toBe(3)
    expect((await borg(empty, ['wallet', 'history', emptyAddress, '--node', entry])).code).toBe(3)
    expect((await borg(empty, ['wallet', 'balance', '--node', entry, '--json'])).stdout).toMatch(/"balance": ?"0"/)
    expect(await certified()).toBe(before)
  }, 180_000)
})
