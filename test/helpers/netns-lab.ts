/**
 * A small internet on one machine, for tests that need routers and NAT
 * (docs/networking.md, issue 11): network namespaces joined by veth pairs to a
 * bridge in a "wan" namespace, routers that masquerade their LAN (one with
 * --random-fully, one with a port forward, one able to run miniupnpd), and
 * hosts behind them. Every address lives inside namespaces this lab creates
 * (100.64.0.0/24 for the WAN, 10.N.0.0/24 for the LANs); nothing touches the
 * machine's own interfaces, and `teardown` deletes every namespace, which
 * takes their interfaces, addresses and firewall rules with them.
 *
 * Needs root, `ip` (iproute2) and `iptables` (.ci/run installs it); a UPnP
 * router also needs Debian's `miniupnpd-iptables` and `miniupnpc`.
 *
 * UPnP routers, as found on this machine (Debian's miniupnpd 2.3.1):
 * - miniupnpd refuses to map ports when its external address is private or
 *   reserved (10/8, 100.64/10, the documentation ranges …), so a UPnP router's
 *   WAN address comes from UPNP_WAN (a routable-looking /24). It exists only
 *   inside this lab's namespaces, which have no link to the machine's own
 *   network: nothing sent to it can leave them.
 * - The nftables build failed to add its rules next to iptables-nft ones;
 *   the iptables build works through libiptc, i.e. the legacy tables, so such a
 *   router's rules are all made with iptables-legacy.
 */
import { execFile, spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Why a lab cannot be built here (undefined: it can). */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux'
  if (process.getuid?.() !== 0) return 'network namespaces need root (CI runs as root)'
  for (const tool of ['ip', 'iptables', 'iptables-legacy', 'miniupnpd', 'upnpc']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed (.ci/run installs it: apt-get install iptables miniupnpd miniupnpd-iptables miniupnpc)`
  }
  if (!existsSync('/etc/miniupnpd/miniupnpd_functions.sh')) return 'miniupnpd_functions.sh is missing (apt-get install miniupnpd, beside miniupnpd-iptables)'
  const probe = `bprobe${process.pid}`
  const made = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' })
  if (made.status !== 0) return `cannot create a network namespace: ${made.stderr.trim()}`
  spawnSync('ip', ['netns', 'del', probe])
  return undefined
}

export interface LabHost {
  /** Namespace name. */
  ns: string
  /** Its address: on the WAN for public hosts and routers, on its LAN for hosts behind a router. */
  address: string
}

export interface LabRouter extends LabHost {
  /** The router's LAN-side address (the gateway of its hosts). */
  lanAddress: string
  lanInterface: string
  wanInterface: string
}

export type NatKind = 'masquerade' | 'random-fully'

/** The WAN subnet UPnP routers (and, with a second address, public hosts) use: see above. */
export const UPNP_WAN = '11.0.0'

export class NetnsLab {
  readonly wan: string
  private readonly namespaces: string[] = []
  private readonly children = new Set<ChildProcess>()
  private lans = 0
  private publics = 1
  private readonly tempDirs: string[] = []
  /** Which iptables a router's rules live in (UPnP routers: the legacy tables). */
  private readonly iptablesOf = new Map<string, string>()

  /** `tag` keeps concurrent labs (and leftovers of a killed run) apart. */
  constructor(readonly tag = `bl${process.pid}`) {
    this.wan = `${tag}-wan`
  }

  /** The WAN: a bridge in its own namespace that every public host and router plugs into. */
  async start(): Promise<void> {
    await this.removeLeftovers()
    await this.addNamespace(this.wan)
    await this.ip(this.wan, 'link', 'add', 'br0', 'type', 'bridge')
    await this.ip(this.wan, 'link', 'set', 'br0', 'up')
  }

  /** A host on the WAN with a public address (100.64.0.2, .3, …). */
  async publicHost(name: string): Promise<LabHost> {
    const ns = await this.addNamespace(`${this.tag}-${name}`)
    const n = ++this.publics
    const address = `100.64.0.${n}`
    await this.plugIntoWan(ns, 'eth0', address)
    // So it can reach UPnP routers too (their WAN address must look public to miniupnpd).
    await this.ip(ns, 'addr', 'add', `${UPNP_WAN}.${n}/24`, 'dev', 'eth0')
    return { ns, address }
  }

  /** A router on the WAN (100.64.0.1N) that masquerades its own LAN (10.N.0.0/24). */
  async router(name: string, nat: NatKind = 'masquerade'): Promise<LabRouter> {
    return this.makeRouter(name, nat, 'iptables', (n) => `100.64.0.${10 + n}`)
  }

  /**
   * A router that also runs miniupnpd (UPnP IGD and NAT-PMP on its LAN side), its WAN address in
   * UPNP_WAN. Its host can then map a port with any UPnP or NAT-PMP client.
   */
  async upnpRouter(name: string): Promise<LabRouter> {
    return this.makeRouter(name, 'masquerade', 'iptables-legacy', (n) => `${UPNP_WAN}.${10 + n}`)
  }

  /**
   * Start miniupnpd on a UPnP router (once its host is plugged in: it listens on the LAN side);
   * `upnp: false` leaves only NAT-PMP on.
   */
  async startUpnp(router: LabRouter, lan: string, options: { upnp?: boolean } = {}): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'borg-upnp-'))
    this.tempDirs.push(dir)
    // miniupnpd's own chain setup, with `iptables` meaning the legacy tables it works in.
    await symlink('/usr/sbin/iptables-legacy', join(dir, 'iptables'))
    await this.exec(router.ns, ['env', `PATH=${dir}:${process.env.PATH}`, 'sh', '/etc/miniupnpd/iptables_init.sh', '-i', router.wanInterface])
    const config = join(dir, 'miniupnpd.conf')
    await writeFile(
      config,
      [
        `ext_ifname=${router.wanInterface}`,
        `listening_ip=${router.lanInterface}`,
        'http_port=5000',
        'enable_natpmp=yes',
        `enable_upnp=${options.upnp === false ? 'no' : 'yes'}`,
        'secure_mode=yes',
        'system_uptime=yes',
        `uuid=3d3cec3a-8cf0-11e0-98ee-${String(process.pid).padStart(12, '0').slice(-12)}`,
        `allow 1024-65535 ${lan} 1024-65535`,
        'deny 0-65535 0.0.0.0/0 0-65535',
        '',
      ].join('\n'),
    )
    // Its own pid file: miniupnpd refuses to start while another one's pid file exists.
    const daemon = this.spawn(router.ns, ['miniupnpd', '-f', config, '-P', join(dir, 'miniupnpd.pid'), '-d'])
    await new Promise<void>((resolve, reject) => {
      let seen = ''
      const onData = (chunk: Buffer) => {
        seen += chunk
        if (seen.includes('Listening for NAT-PMP')) resolve()
      }
      daemon.stdout!.on('data', onData)
      daemon.stderr!.on('data', onData)
      daemon.once('exit', (code) => reject(new Error(`miniupnpd exited ${code}: ${seen}`)))
    })
  }

  private async makeRouter(name: string, nat: NatKind, iptables: string, wanAddress: (n: number) => string): Promise<LabRouter> {
    const n = ++this.lans
    const ns = await this.addNamespace(`${this.tag}-${name}`)
    const address = wanAddress(n)
    await this.plugIntoWan(ns, 'wan0', address)
    // The WAN carries two subnets (UPNP_WAN for UPnP routers): each router reaches the other on-link.
    const other = address.startsWith(`${UPNP_WAN}.`) ? '100.64.0.0/24' : `${UPNP_WAN}.0/24`
    await this.ip(ns, 'route', 'add', other, 'dev', 'wan0')
    const lanAddress = `10.${n}.0.1`
    await this.exec(ns, ['sysctl', '-qw', 'net.ipv4.ip_forward=1'])
    await this.exec(ns, [iptables, '-t', 'nat', '-A', 'POSTROUTING', '-o', 'wan0', '-j', 'MASQUERADE', ...(nat === 'random-fully' ? ['--random-fully'] : [])])
    // Port-forwarded connections (manual or UPnP) pass; otherwise only answers come in.
    await this.exec(ns, [iptables, '-A', 'FORWARD', '-i', 'wan0', '-m', 'conntrack', '--ctstate', 'DNAT', '-j', 'ACCEPT'])
    await this.exec(ns, [iptables, '-A', 'FORWARD', '-i', 'wan0', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'])
    await this.exec(ns, [iptables, '-A', 'FORWARD', '-i', 'lan0', '-j', 'ACCEPT'])
    await this.exec(ns, [iptables, '-P', 'FORWARD', 'DROP'])
    this.iptablesOf.set(ns, iptables)
    return { ns, address, lanAddress, lanInterface: 'lan0', wanInterface: 'wan0' }
  }

  /** The host on a router's LAN (10.N.0.2; one per router), its default route through the router. */
  async hostBehind(router: LabRouter, name: string): Promise<LabHost> {
    if (await this.linkExists(router.ns, 'lan0')) throw new Error(`${router.ns} already has its host`)
    const ns = await this.addNamespace(`${this.tag}-${name}`)
    const address = `${router.lanAddress.slice(0, -1)}2`
    await this.veth(ns, 'eth0', router.ns, 'lan0')
    await this.ip(router.ns, 'addr', 'add', `${router.lanAddress}/24`, 'dev', 'lan0')
    await this.ip(ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0')
    await this.ip(ns, 'route', 'add', 'default', 'via', router.lanAddress)
    return { ns, address }
  }

  /** A manual port forward on a router: WAN port → a LAN host's port (DNAT). */
  async forward(router: LabRouter, port: number, to: LabHost, toPort = port): Promise<void> {
    const iptables = this.iptablesOf.get(router.ns) ?? 'iptables'
    await this.exec(router.ns, [iptables, '-t', 'nat', '-A', 'PREROUTING', '-i', 'wan0', '-p', 'tcp', '--dport', String(port), '-j', 'DNAT', '--to-destination', `${to.address}:${toPort}`])
  }

  /** Run a command in a namespace; resolves with its stdout, rejects with its stderr. */
  async exec(ns: string, argv: string[], timeoutMs = 30_000): Promise<string> {
    const { stdout } = await run('ip', ['netns', 'exec', ns, ...argv], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 })
    return stdout
  }

  /** Start a long-running process in a namespace; it is killed at teardown. */
  spawn(ns: string, argv: string[], options: SpawnOptions = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], ...options })
    this.children.add(child)
    child.once('exit', () => this.children.delete(child))
    return child
  }

  /** Kill what the lab started and delete every namespace it made (safe to call twice). */
  async teardown(): Promise<void> {
    for (const child of this.children) child.kill('SIGKILL')
    this.children.clear()
    for (const ns of this.namespaces.splice(0).reverse()) {
      // Processes still inside would keep it alive: kill them first.
      spawnSync('sh', ['-c', `ip netns pids ${ns} 2>/dev/null | xargs -r kill -9`])
      spawnSync('ip', ['netns', 'del', ns])
    }
    for (const dir of this.tempDirs.splice(0)) await rm(dir, { recursive: true, force: true })
  }

  /** Names of this lab's namespaces that exist right now. */
  existing(): string[] {
    const listed = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout
    return listed
      .split('\n')
      .map((line) => line.split(' ')[0]!)
      .filter((name) => name.startsWith(`${this.tag}-`))
  }

  /** Namespaces of this tag, or of labs whose process is gone (killed before its teardown). */
  private async removeLeftovers(): Promise<void> {
    const listed = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((line) => line.split(' ')[0]!)
    for (const ns of listed) {
      const owner = /^bl(\d+)-/.exec(ns)
      if (!ns.startsWith(`${this.tag}-`) && !(owner && !alive(Number(owner[1])))) continue
      spawnSync('sh', ['-c', `ip netns pids ${ns} 2>/dev/null | xargs -r kill -9`])
      spawnSync('ip', ['netns', 'del', ns])
    }
  }

  private async addNamespace(ns: string): Promise<string> {
    await run('ip', ['netns', 'add', ns])
    this.namespaces.push(ns)
    await this.ip(ns, 'link', 'set', 'lo', 'up')
    return ns
  }

  private async plugIntoWan(ns: string, ifname: string, address: string): Promise<void> {
    const port = `p${this.namespaces.length}`
    await this.veth(ns, ifname, this.wan, port)
    await this.ip(this.wan, 'link', 'set', port, 'master', 'br0')
    await this.ip(ns, 'addr', 'add', `${address}/24`, 'dev', ifname)
  }

  private async veth(nsA: string, nameA: string, nsB: string, nameB: string): Promise<void> {
    await run('ip', ['link', 'add', nameA, 'netns', nsA, 'type', 'veth', 'peer', 'name', nameB, 'netns', nsB])
    await this.ip(nsA, 'link', 'set', nameA, 'up')
    await this.ip(nsB, 'link', 'set', nameB, 'up')
  }

  private async linkExists(ns: string, name: string): Promise<boolean> {
    return spawnSync('ip', ['-n', ns, 'link', 'show', name]).status === 0
  }

  private async ip(ns: string, ...args: string[]): Promise<void> {
    await run('ip', ['-n', ns, ...args])
  }
}
