/**
 * A relay's budget, enforced by real node processes on a small internet
 * (test/helpers/netns-lab.ts): two public nodes that relay at most 3 MB a day
 * for each reserved node (BORG_RELAY_LIMITS), one node behind a NAT reached
 * through them. A 12 MB put on a public node places chunks on the private one
 * through the relays until its budget is spent; beyond it the relays refuse
 * (`refused`, counted in their status), and the put still completes with the
 * copies it could make. Skipped, saying why, where namespaces cannot be made.
 */
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureBundle } from '../../scripts/lib/cli-bundle.js'
import { NetnsLab, netnsUnavailable, type LabHost } from '../helpers/netns-lab.js'
import { waitFor } from '../helpers/wait-until.js'

const unavailable = netnsUnavailable()
if (unavailable) console.warn(`skipping the network-namespace relay budget test: ${unavailable}`)

const PASS = 'relay budget passphrase'
const BUDGET = 3_000_000

interface Relaying {
  relayedBytes: number
  refused: Record<string, number>
}
interface CellStatus {
  name: string
  reachability: { state: string; relaying?: Relaying }
}

describe.skipIf(unavailable !== undefined)('a relay budget, in network namespaces', () => {
  const lab = new NetnsLab()
  const bundle = unavailable ? '' : ensureBundle()
  let base = ''
  const hosts = new Map<string, LabHost>()
  const children: ChildProcess[] = []

  async function start(name: string, host: LabHost, ...args: string[]): Promise<void> {
    hosts.set(name, host)
    const child = lab.spawn(host.ns, [
      'env',
      `BORG_HOME=${join(base, name)}`,
      `BORG_PASSPHRASE=${PASS}`,
      `BORG_RELAY_LIMITS={"bytesPerDay":${BUDGET}}`,
      process.execPath,
      bundle,
      'node',
      'join',
      '--cells',
      'shard,files',
      '--foreground',
      ...args,
    ])
    children.push(child)
    let output = ''
    child.stdout!.on('data', (d) => (output += d))
    child.stderr!.on('data', (d) => (output += d))
    await waitFor(`${name} up`, async () => (output.includes(' up (pid ') ? true : child.exitCode !== null ? Promise.reject(new Error(`${name} exited: ${output}`)) : undefined), 90_000)
  }

  const borg = (name: string, ...args: string[]) =>
    lab.exec(hosts.get(name)!.ns, ['env', `BORG_HOME=${join(base, name)}`, `BORG_PASSPHRASE=${PASS}`, process.execPath, bundle, ...args], 180_000)
  const shard = async (name: string) => (JSON.parse(await borg(name, 'node', 'status', '--json')) as { cells: CellStatus[] }).cells.find((c) => c.name === 'shard')!

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'borg-netns-budget-'))
    await lab.start()
    const p1 = await lab.publicHost('p1')
    const p2 = await lab.publicHost('p2')
    const h1 = await lab.hostBehind(await lab.router('r1'), 'h1')
    await start('p1', p1)
    await start('p2', p2, '--contact', `${p1.address}:13350`)
    await start('h1', h1, '--contact', `${p1.address}:13350`)
    await borg('p1', 'id', 'new', '--json')
  }, 240_000)

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL')
    await lab.teardown()
    if (base) await rm(base, { recursive: true, force: true })
  })

  it('relaying beyond a reserved node’s bytes for the day is refused, and the put completes anyway', async () => {
    await waitFor('h1 relayed', async () => ((await shard('h1').catch(() => undefined))?.reachability.state.startsWith('relayed via') ? true : undefined), 120_000, 1_000)
    const file = join(base, 'twelve.bin')
    await writeFile(file, randomBytes(12 * 1024 * 1024))
    const put = JSON.parse(await borg('p1', 'shard', 'put', file, '--json')) as { id: string; chunks: number; fewestCopies: number }
    expect(put.chunks).toBe(12)
    const relays = await Promise.all(['p1', 'p2'].map(async (p) => (await shard(p)).reachability.relaying!))
    // Each relay carried at most the budget (both directions), and refused what went beyond it.
    for (const r of relays) expect(r.relayedBytes).toBeLessThanOrEqual(BUDGET + 1024 * 1024)
    expect(relays.reduce((n, r) => n + (r.refused.refused ?? 0), 0)).toBeGreaterThan(0)
    expect(put.fewestCopies).toBeGreaterThanOrEqual(2)
  }, 240_000)
})
