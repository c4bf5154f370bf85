/**
 * The network-namespace lab itself (test/helpers/netns-lab.ts): before borg's
 * NAT tests lean on it, check that it really behaves like the internet they
 * assume. Hosts behind a router reach the WAN under the router's address;
 * nothing on the WAN reaches them, except through a port forward; the
 * --random-fully router rewrites source ports; a UPnP router (miniupnpd) maps
 * a port its host asks for; teardown leaves nothing.
 * Skipped, saying why, where namespaces cannot be made (not root, no iptables).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NetnsLab, UPNP_WAN, netnsUnavailable, type LabHost, type LabRouter } from '../helpers/netns-lab.js'

const unavailable = netnsUnavailable()
if (unavailable) console.warn(`skipping the network-namespace lab: ${unavailable}`)

const PORT = 7000
// A TCP server that answers each connection with the address and port it sees the peer at.
const SERVER = `require('net').createServer((s) => s.end(s.remoteAddress + ' ' + s.remotePort)).listen(${PORT}, '0.0.0.0', () => console.log('ready'))`

/** Connect from `from` to host:port; what the server saw, and our own end of the connection. */
async function probe(lab: NetnsLab, from: LabHost, host: string, port = PORT): Promise<{ local: string; seen: string } | { error: string }> {
  const client = `const s = require('net').connect(${port}, '${host}'); let local = ''; let seen = '';
    s.on('connect', () => (local = s.localAddress + ' ' + s.localPort)); s.on('data', (d) => (seen += d));
    s.on('end', () => console.log(JSON.stringify({ local, seen })));
    s.on('error', (e) => console.log(JSON.stringify({ error: e.code })));
    s.setTimeout(3000, () => { console.log(JSON.stringify({ error: 'TIMEOUT' })); s.destroy() })`
  return JSON.parse(await lab.exec(from.ns, [process.execPath, '-e', client]))
}

async function serve(lab: NetnsLab, on: LabHost): Promise<void> {
  const child = lab.spawn(on.ns, [process.execPath, '-e', SERVER])
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve())
    child.once('exit', (code) => reject(new Error(`probe server in ${on.ns} exited ${code}`)))
  })
}

describe.skipIf(unavailable !== undefined)('the network-namespace lab', () => {
  const lab = new NetnsLab()
  let pub: LabHost
  let r1: LabRouter
  let h1: LabHost
  let r2: LabRouter
  let h2: LabHost
  let r3: LabRouter
  let h3: LabHost
  let r4: LabRouter
  let h4: LabHost

  beforeAll(async () => {
    await lab.start()
    pub = await lab.publicHost('pub')
    r1 = await lab.router('r1')
    h1 = await lab.hostBehind(r1, 'h1')
    r2 = await lab.router('r2', 'random-fully')
    h2 = await lab.hostBehind(r2, 'h2')
    r3 = await lab.router('r3')
    h3 = await lab.hostBehind(r3, 'h3')
    await lab.forward(r3, PORT, h3)
    r4 = await lab.upnpRouter('r4')
    h4 = await lab.hostBehind(r4, 'h4')
    await lab.startUpnp(r4, `${r4.lanAddress.slice(0, -1)}0/24`)
    for (const host of [pub, h1, h2, h3, h4]) await serve(lab, host)
  }, 60_000)
  afterAll(async () => {
    await lab.teardown()
    expect(lab.existing()).toEqual([])
  })

  it('a host behind a router reaches the WAN under the router\'s address (masquerade keeps its port when it can)', async () => {
    const result = await probe(lab, h1, pub.address)
    if ('error' in result) throw new Error(result.error)
    const [localAddress, localPort] = result.local.split(' ')
    const [seenAddress, seenPort] = result.seen.split(' ')
    expect(localAddress).toBe(h1.address)
    expect(seenAddress).toBe(r1.address)
    expect(seenPort).toBe(localPort)
  })

  it('a --random-fully router rewrites the source port too', async () => {
    const ports: boolean[] = []
    for (let i = 0; i < 3; i++) {
      const result = await probe(lab, h2, pub.address)
      if ('error' in result) throw new Error(result.error)
      expect(result.seen.split(' ')[0]).toBe(r2.address)
      ports.push(result.seen.split(' ')[1] !== result.local.split(' ')[1])
    }
    expect(ports.filter(Boolean).length).toBeGreaterThanOrEqual(2) // a random port can equal the original by chance
  })

  it('nothing on the WAN reaches a private host: its LAN address has no route, its router refuses', async () => {
    const direct = await probe(lab, pub, h1.address)
    expect('error' in direct && ['ENETUNREACH', 'EHOSTUNREACH'].includes(direct.error)).toBe(true)
    const router = await probe(lab, pub, r1.address)
    expect(router).toEqual({ error: 'ECONNREFUSED' })
  })

  it('a port forward makes the host behind it reachable at the router\'s address, seeing the caller as it is', async () => {
    const result = await probe(lab, pub, r3.address)
    if ('error' in result) throw new Error(result.error)
    expect(result.seen.split(' ')[0]).toBe(pub.address)
  })

  it('a host behind a UPnP router maps a port (UPnP IGD) and is then reachable at the router\'s address', async () => {
    expect(await probe(lab, pub, r4.address)).toEqual({ error: 'ECONNREFUSED' })
    const mapped = await lab.exec(h4.ns, ['upnpc', '-a', h4.address, String(PORT), String(PORT), 'TCP'])
    expect(mapped).toContain(`external ${r4.address}:${PORT} TCP is redirected to internal ${h4.address}:${PORT}`)
    const result = await probe(lab, pub, r4.address)
    if ('error' in result) throw new Error(result.error)
    expect(result.seen.split(' ')[0]).toBe(`${UPNP_WAN}.2`) // pub, by its address on that subnet
  })

  it('private hosts reach each other only through the WAN (no route between LANs)', async () => {
    const result = await probe(lab, h1, h2.address)
    expect('error' in result).toBe(true)
  })
})
