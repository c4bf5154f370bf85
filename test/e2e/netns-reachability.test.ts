/**
 * Reachability on a small internet (test/helpers/netns-lab.ts): real node
 * processes in network namespaces, one public, one behind a masquerading
 * router, one behind a router with a manual port forward, one behind a router
 * running miniupnpd. Each must classify its own net port correctly through
 * dial-backs by its tree neighbours (docs/protocol.md §7.1): the NATed node
 * `private`, the others `public`; the UPnP node maps its port itself, advertises
 * the router's address and removes the mapping when it leaves. Skipped, saying
 * why, where namespaces cannot be made.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureBundle } from '../../scripts/lib/cli-bundle.js'
import { NetnsLab, UPNP_WAN, netnsUnavailable, type LabHost, type LabRouter } from '../helpers/netns-lab.js'
import { waitFor } from '../helpers/wait-until.js'

const unavailable = netnsUnavailable()
if (unavailable) console.warn(`skipping the network-namespace reachability test: ${unavailable}`)

const SHARD_NET = 13350

interface Reach {
  state: string
  reason: string
  advertised: string[]
}

describe.skipIf(unavailable !== undefined)('reachability across routers, in network namespaces', () => {
  const lab = new NetnsLab()
  const bundle = unavailable ? '' : ensureBundle()
  let base = ''
  const homes = new Map<string, string>()
  let pub: LabHost
  let h1: LabHost
  let h3: LabHost
  let h3Public = ''
  let h4: LabHost
  let r4: LabRouter
  let h5: LabHost
  let r5: LabRouter

  /** Start a shard-only node in `host`'s namespace, listening everywhere there and advertising `advertise` (none: it maps a port). */
  const startedAt = new Map<string, number>()
  const figures: string[] = []

  async function startNode(name: string, host: LabHost, advertise: string | undefined, contact?: string): Promise<void> {
    startedAt.set(name, Date.now())
    const home = join(base, name)
    homes.set(name, home)
    const child = lab.spawn(host.ns, [
      'env',
      `BORG_HOME=${home}`,
      'BORG_LOG_LEVEL=info',
      process.execPath,
      bundle,
      'node',
      'join',
      '--foreground',
      '--cells',
      'shard',
      '--host',
      '0.0.0.0',
      ...(advertise ? ['--advertise-host', advertise] : []),
      ...(contact ? ['--contact', contact, '--contact-wait', '60'] : []),
    ])
    let output = ''
    child.stdout!.on('data', (d) => (output += d))
    child.stderr!.on('data', (d) => (output += d))
    await waitFor(`${name} up`, async () => (output.includes(' up (pid ') ? true : child.exitCode !== null ? Promise.reject(new Error(`${name} exited: ${output}`)) : undefined), 90_000)
  }

  const borg = (name: string, host: LabHost, ...args: string[]) => lab.exec(host.ns, ['env', `BORG_HOME=${homes.get(name)}`, process.execPath, bundle, ...args])

  async function reachability(name: string, host: LabHost): Promise<Reach> {
    const status = JSON.parse(await borg(name, host, 'node', 'status', '--json')) as { cells: { name: string; reachability: Reach }[] }
    return status.cells.find((c) => c.name === 'shard')!.reachability
  }

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'borg-netns-'))
    await lab.start()
    pub = await lab.publicHost('pub')
    const r1 = await lab.router('r1')
    h1 = await lab.hostBehind(r1, 'h1')
    const r3 = await lab.router('r3')
    h3 = await lab.hostBehind(r3, 'h3')
    h3Public = r3.address
    await lab.forward(r3, SHARD_NET, h3)
    await startNode('pub', pub, pub.address)
    const contact = `${pub.address}:${SHARD_NET}`
    // The NATed node advertises its LAN address: nothing outside can use it, which the check must find out.
    await startNode('h1', h1, h1.address, contact)
    // The forwarded node is given no address: it starts with its LAN address and learns the router's
    // from the neighbours that dial it back there (the forward leads to it).
    await startNode('h3', h3, undefined, contact)
    r4 = await lab.upnpRouter('r4')
    h4 = await lab.hostBehind(r4, 'h4')
    await lab.startUpnp(r4, `${r4.lanAddress.slice(0, -1)}0/24`)
    // Behind the UPnP router: no address given; its WAN is UPNP_WAN, where the public node has one too.
    await startNode('h4', h4, undefined, `${UPNP_WAN}.2:${SHARD_NET}`)
    // A router that speaks NAT-PMP only: the node's fallback when no UPnP gateway answers.
    r5 = await lab.upnpRouter('r5')
    h5 = await lab.hostBehind(r5, 'h5')
    await lab.startUpnp(r5, `${r5.lanAddress.slice(0, -1)}0/24`, { upnp: false })
    await startNode('h5', h5, undefined, `${UPNP_WAN}.2:${SHARD_NET}`)
  }, 180_000)

  afterAll(async () => {
    if (figures.length) console.log(`port mapping figures:\n  ${figures.join('\n  ')}`)
    await lab.teardown()
    if (base) await rm(base, { recursive: true, force: true })
  })

  const settled = async (name: string, host: LabHost): Promise<Reach> =>
    (
      await waitFor(
        `${name}'s reachability`,
        async () => {
          const r = await reachability(name, host).catch(() => undefined)
          return r && r.state !== 'unknown' ? r : undefined
        },
        90_000,
        1_000,
      )
    ).value

  /** The node mapped its net port on `router` by `method`, advertises the router's address there, and is public. */
  async function expectMappedAndPublic(name: string, host: LabHost, router: LabRouter, method: string): Promise<void> {
    // The node maps its ports in the background once it is up (advertising its primary address meanwhile).
    const { value: mapping } = await waitFor(
      `${name}'s port mapping`,
      async () => (JSON.parse(await borg(name, host, 'node', 'status', '--json')) as { portMapping?: { method: string; externalAddress: string; ports: number[] } }).portMapping,
      30_000,
      500,
    )
    expect(mapping).toMatchObject({ method, externalAddress: router.address, ports: [SHARD_NET] })
    const mappedAfter = (Date.now() - startedAt.get(name)!) / 1000
    const { value: r } = await waitFor(
      `${name} public at ${router.address}`,
      async () => {
        const r = await reachability(name, host).catch(() => undefined)
        return r?.state === 'public' && r.advertised[0] === `${router.address}:${SHARD_NET}` ? r : undefined
      },
      90_000,
      1_000,
    )
    expect(r.reason).toMatch(/^[1-9] of [1-9] neighbour/)
    figures.push(`${name} (${method}): mapped ${mappedAfter.toFixed(1)} s, public at the router's address ${((Date.now() - startedAt.get(name)!) / 1000).toFixed(1)} s after it started (at most; polled)`)
  }

  it('the node behind a masquerading router finds itself private: its neighbours could not dial it back', async () => {
    const r = await settled('h1', h1)
    // Private, and soon reached through relays (the public nodes relay for it: netns-relay.test.ts).
    expect(r.state).toMatch(/^(private|relayed via )/)
    expect(r.reason).toMatch(/^0 of [1-9]/)
    expect(r.advertised[0]).toMatch(new RegExp(`^(${h1.address.replace(/\./g, '\\.')}:${SHARD_NET}|via:)`))
  }, 120_000)

  it('the node behind a port forward, given no address, finds itself public at the address its neighbours reached it at (its router\'s), and advertises that', async () => {
    const r = await settled('h3', h3)
    expect(r.state).toBe('public')
    expect(r.advertised[0]).toBe(`${h3Public}:${SHARD_NET}`)
  }, 120_000)

  it('the node behind a UPnP router maps its port, advertises the router\'s address, finds itself public, and unmaps when it leaves', async () => {
    await expectMappedAndPublic('h4', h4, r4, 'upnp')
    expect(await lab.exec(h4.ns, ['upnpc', '-l'])).toContain(`${SHARD_NET}->${h4.address}:${SHARD_NET}`)
    await borg('h4', h4, 'node', 'leave')
    await waitFor('the mapping removed', async () => ((await lab.exec(h4.ns, ['upnpc', '-l'])).includes(`${SHARD_NET}->`) ? undefined : true), 30_000)
  }, 120_000)

  it('behind a router with NAT-PMP only, the node maps its port by NAT-PMP and finds itself public', async () => {
    await expectMappedAndPublic('h5', h5, r5, 'nat-pmp')
  }, 120_000)

  it('the public node finds itself public; the neighbour it cannot reach is no evidence against it', async () => {
    const r = await settled('pub', pub)
    expect(r.state).toBe('public')
    expect(r.reason).toMatch(/^[1-9] of [1-9] neighbour/)
  }, 120_000)
})
