/** `borg ledger genesis` (src/commands/ledger/genesis.ts) as a user runs it: the file, its checks, its exit codes. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readGenesisFile } from '../../src/core/ledger/genesis-file.js'
import { genesisCommittee } from '../../src/core/ledger/genesis.js'
import { TOTAL_SUPPLY } from '../../src/core/ledger/amount.js'
import { plainEnv, runChild } from './harness.js'

const REP = 'edd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'
const REP2 = 'ed3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c'

describe('borg ledger genesis', () => {
  let dir = ''
  const env = () => plainEnv({ BORG_HOME: join(dir, 'home'), BORG_PASSPHRASE: 'genesis test', BORG_KDF_FAST: '1' })
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'borg-genesis-'))
  })
  afterAll(async () => rm(dir, { recursive: true, force: true }))

  it('needs an identity (exit 3), then writes a genesis the nodes can check, and never overwrites it (exit 6)', async () => {
    const out = join(dir, 'genesis.json')
    expect((await runChild(['ledger', 'genesis', '--rep', REP, '--out', out], { env: env() })).status).toBe(3)
    expect((await runChild(['id', 'new', '--json'], { env: env() })).status).toBe(0)
    const made = await runChild(['ledger', 'genesis', '--rep', REP, '--rep', REP2, '--name', 'test-net', '--out', out, '--json'], { env: env() })
    expect(made.status).toBe(0)
    const summary = JSON.parse(made.stdout) as { network: string; treasury: string; representatives: string[] }
    expect(summary.representatives).toEqual([REP, REP2])
    const { genesis, block } = await readGenesisFile(out)
    expect(Buffer.from(genesis.id).toString('hex')).toBe(summary.network)
    expect(block.block.balance).toBe(TOTAL_SUPPLY)
    expect(genesisCommittee(genesis).weights.size).toBe(2)
    expect((await runChild(['ledger', 'genesis', '--rep', REP, '--out', out], { env: env() })).status).toBe(6)
    const bad = await runChild(['ledger', 'genesis', '--rep', 'not-a-node', '--out', join(dir, 'other.json')], { env: env() })
    expect(bad.status).toBe(2)
    expect(bad.stderr).toMatch(/not a node id/)
  }, 60_000)
})
