/**
 * The README's lines for several machines, as written (run in the foreground
 * so the test owns the processes), on a small internet (test/helpers/netns-lab.ts):
 * `borg node join --cells all` on one public machine, `borg node join --cells
 * all --contact HOST:13350` on another and on one behind a NAT. No --host, no
 * --advertise-host: each node listens on every interface, the public ones find
 * themselves public at the address their neighbours reached them at, the one
 * behind the NAT finds itself private and is reached through the two public
 * ones; a broadcast from it reaches the others. Skipped, saying why, where
 * namespaces cannot be made.
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureBundle } from '../../scripts/lib/cli-bundle.js'
import { NetnsLab, netnsUnavailable, type LabHost } from '../helpers/netns-lab.js'
import { waitFor } from '../helpers/wait-until.js'

const unavailable = netnsUnavailable()
if (unavailable) console.warn(`skipping the network-namespace README test: ${unavailable}`)

interface Reach {
  state: string
  reason: string
  advertised: string[]
}
interface CellStatus {
  name: string
  reachability: Reach
  notes: { recent: { text: string }[] }
}

describe.skipIf(unavailable !== undefined)("the README's multi-machine lines, as written, in network namespaces", () => {
  const lab = new NetnsLab()
  const bundle = unavailable ? '' : ensureBundle()
  let base = ''
  const hosts = new Map<string, LabHost>()
  const children: ChildProcess[] = []

  async function start(name: string, host: LabHost, ...args: string[]): Promise<void> {
    hosts.set(name, host)
    const child = lab.spawn(host.ns, ['env', `BORG_HOME=${join(base, name)}`, process.execPath, bundle, 'node', 'join', '--cells', 'all', ...args, '--foreground'])
    children.push(child)
    let output = ''
    child.stdout!.on('data', (d) => (output += d))
    child.stderr!.on('data', (d) => (output += d))
    await waitFor(`${name} up`, async () => (output.includes(' up (pid ') ? true : child.exitCode !== null ? Promise.reject(new Error(`${name} exited: ${output}`)) : undefined), 90_000)
  }

  const borg = (name: string, ...args: string[]) => lab.exec(hosts.get(name)!.ns, ['env', `BORG_HOME=${join(base, name)}`, process.execPath, bundle, ...args], 60_000)
  const cells = async (name: string) => (JSON.parse(await borg(name, 'node', 'status', '--json')) as { cells: CellStatus[] }).cells

  /** Wait until every cell of `name` is in `state` (a prefix), then return them. */
  async function everyCell(name: string, state: string): Promise<CellStatus[]> {
    const { value } = await waitFor(
      `every cell of ${name} ${state}`,
      async () => {
        const all = await cells(name).catch(() => undefined)
        return all && all.every((c) => c.reachability.state.startsWith(state)) ? all : undefined
      },
      120_000,
      1_000,
    )
    return value
  }

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'borg-netns-readme-'))
    await lab.start()
    const p1 = await lab.publicHost('p1')
    const p2 = await lab.publicHost('p2')
    const r1 = await lab.router('r1')
    const h1 = await lab.hostBehind(r1, 'h1')
    await start('p1', p1)
    await start('p2', p2, '--contact', `${p1.address}:13350`)
    await start('h1', h1, '--contact', `${p1.address}:13350`)
  }, 240_000)

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL')
    await lab.teardown()
    if (base) await rm(base, { recursive: true, force: true })
  })

  it('the public nodes find themselves public and advertise the address they were reached at', async () => {
    for (const name of ['p1', 'p2']) {
      const all = await everyCell(name, 'public')
      for (const c of all) expect(c.reachability.advertised[0]).toMatch(new RegExp(`^${hosts.get(name)!.address.replace(/\./g, '\\.')}:\\d+$`))
    }
  }, 180_000)

  it('the node behind the NAT is reached through the two public ones, and its broadcast arrives', async () => {
    const all = await everyCell('h1', 'relayed via')
    for (const c of all) expect(c.reachability.advertised[0]).toMatch(/^via:100\.64\.0\.\d+:\d+,100\.64\.0\.\d+:\d+$/)
    await borg('h1', 'node', 'broadcast', '--cell', 'shard', 'from the machine behind the router')
    for (const name of ['p1', 'p2']) {
      await waitFor(`${name} got the broadcast`, async () => ((await cells(name)).find((c) => c.name === 'shard')!.notes.recent.some((n) => n.text === 'from the machine behind the router') ? true : undefined), 60_000)
    }
  }, 180_000)

  it('the node behind the NAT keeps network time like the others', async () => {
    const { value } = await waitFor(
      'h1 synchronised to network time',
      async () => {
        const t = JSON.parse(await borg('h1', 'node', 'time', '--json')) as { synced: boolean; boundMs: number | null; source: string | null }
        return t.synced && t.boundMs !== null ? t : undefined
      },
      90_000,
      1_000,
    )
    expect(value.source).not.toBe('root')
    expect(value.boundMs).toBeLessThan(1_000)
  }, 120_000)
})
