/**
 * Relays on a small internet (test/helpers/netns-lab.ts): three public nodes
 * and two nodes behind two different NATs (one masquerading, one with
 * `--random-fully` ports), real processes. The private nodes find themselves
 * private, reserve slots at two public nodes and are reached `via:` them:
 * broadcast, a routed note and a 20 MB put/get between the two private nodes
 * work, bit for bit; when one relay in use is killed with SIGKILL during a
 * transfer, the private nodes move to the third relay and the transfer
 * completes. Skipped, saying why, where namespaces cannot be made.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureBundle } from '../../scripts/lib/cli-bundle.js'
import { NetnsLab, netnsUnavailable, type LabHost } from '../helpers/netns-lab.js'
import { waitFor } from '../helpers/wait-until.js'

const unavailable = netnsUnavailable()
if (unavailable) console.warn(`skipping the network-namespace relay test: ${unavailable}`)

const SHARD_NET = 13350
const MB = 1024 * 1024
const PASS = 'relay test passphrase'

interface Reach {
  state: string
  reason: string
  advertised: string[]
  relays?: { endpoint: string }[]
}
interface CellStatus {
  name: string
  id: string
  reachability: Reach
  notes: { recent: { text: string; from: string }[]; received: number }
}

describe.skipIf(unavailable !== undefined)('relays for nodes behind NATs, in network namespaces', () => {
  const lab = new NetnsLab()
  const bundle = unavailable ? '' : ensureBundle()
  let base = ''
  const homes = new Map<string, string>()
  const children = new Map<string, ChildProcess>()
  const startedAt = new Map<string, number>()
  const hosts = new Map<string, LabHost>()
  const figures: string[] = []
  const logs = new Map<string, () => string>()

  /** On failure: every node's tree status and its log's tail. */
  async function diagnose(): Promise<void> {
    for (const name of homes.keys()) {
      const s = (await shard(name).catch((e: Error) => e.message)) as CellStatus & Record<string, unknown>
      const brief = typeof s === 'string' ? s : { state: s.state, endpoint: s.endpoint, position: s.position, queues: s.queues, broadcasts: s.broadcasts, reachability: s.reachability }
      console.log(`--- ${name}: ${JSON.stringify(brief)}\n${logs.get(name)?.().slice(-(Number(process.env.BORG_TEST_LOG_TAIL) || 3000))}`)
    }
  }

  async function startNode(name: string, host: LabHost, contact?: string): Promise<void> {
    const home = join(base, name)
    homes.set(name, home)
    hosts.set(name, host)
    startedAt.set(name, Date.now())
    const child = lab.spawn(host.ns, [
      'env',
      `BORG_HOME=${home}`,
      `BORG_PASSPHRASE=${PASS}`,
      `BORG_LOG_LEVEL=${process.env.BORG_TEST_NODE_LOG ?? 'info'}`,
      process.execPath,
      bundle,
      'node',
      'join',
      '--foreground',
      '--cells',
      'shard,files',
      '--host',
      '0.0.0.0',
      '--advertise-host',
      host.address,
      ...(contact ? ['--contact', contact, '--contact-wait', '60'] : []),
    ])
    children.set(name, child)
    let output = ''
    child.stdout!.on('data', (d) => (output += d))
    child.stderr!.on('data', (d) => (output += d))
    logs.set(name, () => output)
    await waitFor(`${name} up`, async () => (output.includes(' up (pid ') ? true : child.exitCode !== null ? Promise.reject(new Error(`${name} exited: ${output}`)) : undefined), 90_000)
  }

  const borg = (name: string, ...args: string[]) => lab.exec(hosts.get(name)!.ns, ['env', `BORG_HOME=${homes.get(name)}`, `BORG_PASSPHRASE=${PASS}`, process.execPath, bundle, ...args], 180_000)

  async function shard(name: string): Promise<CellStatus> {
    const status = JSON.parse(await borg(name, 'node', 'status', '--json')) as { cells: CellStatus[] }
    return status.cells.find((c) => c.name === 'shard')!
  }

  /** Wait until `name` is reached through two relays, none of them in `not`; returns them. */
  async function relayed(name: string, not: string[] = [], timeoutMs = 120_000): Promise<string[]> {
    const { value } = await waitFor(
      `${name} relayed via two relays${not.length ? ` other than ${not.join(', ')}` : ''}`,
      async () => {
        const s = await shard(name).catch(() => undefined)
        const relays = s?.reachability.relays?.map((r) => r.endpoint) ?? []
        const advertised = s?.reachability.advertised[0] ?? ''
        return s?.reachability.state.startsWith('relayed via') && relays.length === 2 && relays.every((r) => !not.includes(r) && advertised.includes(r)) ? relays : undefined
      },
      timeoutMs,
      500,
    )
    return value
  }

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'borg-netns-relay-'))
    await lab.start()
    const pubs = [await lab.publicHost('p1'), await lab.publicHost('p2'), await lab.publicHost('p3')]
    const r1 = await lab.router('r1')
    const r2 = await lab.router('r2', 'random-fully')
    const h1 = await lab.hostBehind(r1, 'h1')
    const h2 = await lab.hostBehind(r2, 'h2')
    await startNode('p1', pubs[0]!)
    const contact = `${pubs[0]!.address}:${SHARD_NET}`
    await startNode('p2', pubs[1]!, contact)
    await startNode('p3', pubs[2]!, contact)
    await Promise.all([startNode('h1', h1, contact), startNode('h2', h2, contact)])
    for (const name of ['h1', 'h2']) await borg(name, 'id', 'new', '--json')
  }, 240_000)

  afterAll(async () => {
    await lab.teardown()
    if (base) await rm(base, { recursive: true, force: true })
    if (figures.length) console.log(`relay figures:\n  ${figures.join('\n  ')}`)
  })

  it('each private node finds itself private and becomes reachable through two relays', async () => {
    for (const name of ['h1', 'h2']) {
      const relays = await relayed(name)
      const s = await shard(name)
      expect(s.reachability.reason).toMatch(/^0 of [1-9]/)
      expect(s.reachability.advertised[0]).toBe(`via:${relays.join(',')}`)
      figures.push(`${name}: reachable through relays ${((Date.now() - startedAt.get(name)!) / 1000).toFixed(1)} s after it started (at most; polled every 0.5 s)`)
    }
    for (const name of ['p1', 'p2', 'p3']) expect((await shard(name)).reachability.state).toBe('public')
  }, 240_000)

  it('broadcast and a routed note reach the private nodes through relays', async () => {
    await relayed('h1')
    await relayed('h2')
    const h2 = await shard('h2')
    await borg('h1', 'node', 'broadcast', '--cell', 'shard', 'hello from behind r1')
    await waitFor('h2 got the broadcast', async () => ((await shard('h2')).notes.recent.some((n) => n.text === 'hello from behind r1') ? true : undefined), 60_000).catch(async (e) => {
      await diagnose()
      throw e
    })
    await borg('h1', 'node', 'send', '--cell', 'shard', '--to', h2.id, 'for h2 only')
    await waitFor('h2 got the routed note', async () => ((await shard('h2')).notes.recent.some((n) => n.text === 'for h2 only') ? true : undefined), 60_000)
  }, 180_000)

  it('20 MB put on one private node and got on the other, bit for bit', async () => {
    const file = join(base, 'twenty.bin')
    const data = randomBytes(20 * MB)
    await writeFile(file, data)
    const put = Date.now()
    const id = (await borg('h1', 'shard', 'put', file, '--json').then((out) => JSON.parse(out) as { id: string })).id
    const putSeconds = (Date.now() - put) / 1000
    const got = join(base, 'twenty.got')
    const get = Date.now()
    await borg('h2', 'shard', 'get', id, '--output', got)
    const getSeconds = (Date.now() - get) / 1000
    expect(createHash('sha256').update(await readFile(got)).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'))
    const relayedBytes = await Promise.all(['p1', 'p2', 'p3'].map(async (p) => ((await shard(p)).reachability as unknown as { relaying?: { relayedBytes: number } }).relaying?.relayedBytes ?? 0))
    expect(relayedBytes.reduce((a, b) => a + b, 0)).toBeGreaterThan(MB) // chunks placed on the private nodes went through relays
    figures.push(`20 MB: put on h1 ${putSeconds.toFixed(1)} s, get on h2 ${getSeconds.toFixed(1)} s; bytes relayed by p1/p2/p3: ${relayedBytes.join('/')}`)
  }, 300_000)

  it('stream send from one private node to the other: offered through the receiver\'s relays, pulled through the sender\'s, bit for bit', async () => {
    const [h1, h2] = [await shard('h1'), await shard('h2')]
    await borg('h2', 'stream', 'allow', h1.id)
    const file = join(base, 'streamed.bin')
    const data = randomBytes(8 * MB)
    await writeFile(file, data)
    const started = Date.now()
    const out = await borg('h1', 'stream', 'send', file, '--to', `${h2.id}@${h2.reachability.advertised[0]}`, '--json').catch(async (e: Error & { stdout?: string; stderr?: string }) => {
      await diagnose()
      throw new Error(`stream send failed: ${e.stdout ?? ''} ${e.stderr ?? ''}`)
    })
    const sent = JSON.parse(out) as { bytes: number; path: string | null }
    expect(sent.bytes).toBe(8 * MB)
    figures.push(`stream send 8 MB h1 → h2 (both private): ${((Date.now() - started) / 1000).toFixed(1)} s`)
    expect(sent.path).toContain(homes.get('h2')!) // the receiver's copy (every namespace shares this file system)
    const received = sent.path!
    expect(createHash('sha256').update(await readFile(received)).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'))
  }, 180_000)

  it('killing a relay in use during a transfer: the private nodes move to another relay and the transfer completes', async () => {
    const before = await relayed('h2')
    const victim = ['p2', 'p3'].find((p) => before.some((r) => r.startsWith(hosts.get(p)!.address)))!
    const victimEndpoint = `${hosts.get(victim)!.address}:${SHARD_NET}`
    const file = join(base, 'again.bin')
    const data = randomBytes(20 * MB)
    await writeFile(file, data)
    const put = borg('h1', 'shard', 'put', file, '--json')
    await new Promise((r) => setTimeout(r, 1_000))
    const killedAt = Date.now()
    children.get(victim)!.kill('SIGKILL')
    const moved = await relayed('h2', [victimEndpoint], 120_000)
    figures.push(`relay ${victim} killed: h2 reached through ${moved.join(', ')} ${((Date.now() - killedAt) / 1000).toFixed(1)} s later (at most; polled every 0.5 s)`)
    const id = (JSON.parse(await put) as { id: string }).id
    const got = join(base, 'again.got')
    await borg('h2', 'shard', 'get', id, '--output', got)
    expect(createHash('sha256').update(await readFile(got)).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'))
  }, 300_000)
})
