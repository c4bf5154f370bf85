/** Real `borg node join` processes on loopback, for the multi-process tests and the tree benchmark. */
import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { parentOf, childrenOf } from '../../src/core/tree/position.js'
import { HttpsTransport } from '../../src/core/net/https-transport.js'
import { ed25519Signer } from '../../src/core/identity/signer.js'
import { generateEd25519SecretKey } from '../../src/core/crypto/ed25519.js'
import { silentLogger } from '../../src/core/log.js'
import { readRunning } from '../../src/core/node/running-file.js'
import { ensureBundle } from './cli-bundle.js'
import { cellType } from '../../src/cells/registry.js'

// One wait helper for tests and benches alike (it says what it waited for and what it saw last).
import { waitFor } from '../../test/helpers/wait-until.js'
export { waitFor }

const run = promisify(execFile)

export interface NodeProcess {
  index: number
  home: string
  portBase: number
  child?: ChildProcess
  log: string[]
  /** Extra environment of this node's process. */
  env?: Record<string, string>
}

export interface CellView {
  name: string
  state: string
  id: string
  treeId?: string
  position?: number
  treeSize?: number
  maxChildren: number
  root?: { id: string; endpoint: string }
  parent?: { id: string }
  children: { id: string; position: number }[]
  notes: { received: number; recent: { text: string; bid?: string; via: string; hops?: number; at: number }[] }
  broadcasts: { forwarded: number; delivered: number; duplicates: number }
  queues: { outbox: number }
  endpoints: { net: string; recp: string; mon: string }
}

export class ProcessOrganism {
  readonly nodes: NodeProcess[] = []
  /** How to run borg: the node bundle, or a compiled binary when given. */
  private readonly command: { file: string; args: string[] }
  /** Reads monitor ports directly (cheaper than a CLI process per poll). */
  private monitorClient?: HttpsTransport

  constructor(
    readonly basePort: number,
    readonly env: Record<string, string> = {},
    binary?: string,
  ) {
    // BORG_CPU_PROFILE_DIR: each node process writes a V8 CPU profile there when it exits (benchmarks: where the time goes).
    const profile = process.env.BORG_CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BORG_CPU_PROFILE_DIR}`] : []
    this.command = binary ? { file: binary, args: [] } : { file: process.execPath, args: [...profile, ensureBundle()] }
  }

  /**
   * Seconds a joining node keeps trying its contacts (`--contact-wait`; the CLI's default when
   * unset). Dozens of processes started at once on two cores take longer than the default to answer.
   */
  contactWaitS?: number

  async add(contacts: number[], cells = 'all', env: Record<string, string> = {}): Promise<NodeProcess> {
    const node = await this.prepare(env)
    this.launch(node, contacts, cells)
    return node
  }

  /** A node with its home and ports, not started yet (to put files in its home first). */
  async prepare(env: Record<string, string> = {}): Promise<NodeProcess> {
    const home = await mkdtemp(join(tmpdir(), 'borg-e2e-'))
    const node: NodeProcess = { index: this.nodes.length, home, portBase: this.basePort + this.nodes.length * 100, log: [], env }
    this.nodes.push(node)
    return node
  }

  /** (Re)start a node's process with its home (same identity). */
  launch(node: NodeProcess, contacts: number[], cells = 'all'): void {
    const args = [...this.command.args, 'node', 'join', '--foreground', '--host', '127.0.0.1', '--cells', cells, '--port-base', String(node.portBase)]
    // A contact is the net port of the first cell type the node runs (the shard cell's for `all`).
    const netPort = cells === 'all' ? 13350 : cellType(cells.split(',')[0]!.trim()).dna.netPort
    for (const c of contacts) args.push('--contact', `127.0.0.1:${this.nodes[c]!.portBase + netPort}`)
    if (this.contactWaitS !== undefined && contacts.length > 0) args.push('--contact-wait', String(this.contactWaitS))
    const child = spawn(this.command.file, args, { env: { ...process.env, ...this.env, ...node.env, BORG_HOME: node.home }, stdio: ['ignore', 'pipe', 'pipe'] })
    const keep = (chunk: Buffer) => {
      node.log.push(chunk.toString())
      if (node.log.length > 200) node.log.shift()
    }
    child.stdout!.on('data', keep)
    child.stderr!.on('data', keep)
    child.once('exit', (code, signal) => {
      if (signal !== 'SIGKILL') node.log.push(`[process exited: code ${code}, signal ${signal}]\n`)
    })
    node.child = child
  }

  kill9(node: NodeProcess): void {
    node.child?.kill('SIGKILL')
    node.child = undefined
  }

  /** What the nodes that died on their own printed last (for failure messages). */
  deathReport(): string {
    return this.nodes
      .filter((n) => n.log.some((l) => l.startsWith('[process exited')))
      .map((n) => `node ${n.index} (port base ${n.portBase}):\n${n.log.join('').slice(-1200)}`)
      .join('\n')
  }

  alive(): NodeProcess[] {
    return this.nodes.filter((n) => n.child && n.child.exitCode === null && n.child.signalCode === null)
  }

  /** `borg node status --json` of one node (the real command, as a user would run it). */
  async status(node: NodeProcess): Promise<{ nodeId: string; cells: CellView[] }> {
    const { stdout } = await run(this.command.file, [...this.command.args, 'node', 'status', '--json'], { env: { ...process.env, ...this.env, BORG_HOME: node.home }, timeout: 20_000 })
    return JSON.parse(stdout)
  }

  async cli(node: NodeProcess, ...args: string[]): Promise<string> {
    const { stdout } = await run(this.command.file, [...this.command.args, ...args], { env: { ...process.env, ...this.env, BORG_HOME: node.home }, timeout: 20_000 })
    return stdout
  }

  /**
   * Run borg with any BORG_HOME (a node's or not), optional stdin and extra
   * environment; never throws for a non-zero exit: the code is returned.
   */
  exec(home: string, args: string[], options: { input?: Uint8Array | string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.command.file, [...this.command.args, ...args], { env: { ...process.env, ...this.env, ...options.env, BORG_HOME: home }, stdio: ['pipe', 'pipe', 'pipe'] })
      const out: Buffer[] = []
      let err = ''
      child.stdout.on('data', (d: Buffer) => out.push(d))
      child.stderr.on('data', (d: Buffer) => (err += d.toString()))
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
      child.on('error', reject)
      child.on('close', (code) => {
        clearTimeout(timer)
        resolve({ code, stdout: Buffer.concat(out), stderr: err })
      })
      child.stdin.end(options.input ?? '')
    })
  }

  /** The same status as `borg node status --json`, read straight from the node's monitor ports. */
  async monitorStatus(node: NodeProcess): Promise<{ nodeId: string; cells: CellView[] }> {
    this.monitorClient ??= new HttpsTransport({ signer: ed25519Signer(generateEd25519SecretKey()), log: silentLogger, timeoutMs: 5_000 })
    const running = await readRunning(node.home)
    const cells = await Promise.all(Object.values(running.cells).map((c) => this.monitorClient!.client.getJson<CellView>(c.mon, '/status', running.nodeId)))
    return { nodeId: running.nodeId, cells }
  }

  /** One cell's tree state on every live node, read from the monitors (cheap enough to poll every 200 ms). */
  async cellStates(cell: string): Promise<{ node: NodeProcess; id: string; state: string; size?: number }[]> {
    return Promise.all(
      this.alive().map(async (node) => {
        const status = await this.monitorStatus(node)
        const view = status.cells.find((c) => c.name === cell)!
        return { node, id: status.nodeId, state: view.state, size: view.treeSize }
      }),
    )
  }

  /** Wait until the live nodes form exactly one valid tree of each cell type named. */
  async oneTreeEach(cells: string[], timeoutMs = 120_000): Promise<void> {
    let problems: string[] = []
    try {
      await waitFor(`one tree each of ${cells.join(', ')} over the live nodes`, async () => {
        const all = await Promise.all(this.alive().map((n) => this.status(n)))
        problems = cells.flatMap((cell) => treeProblems(cell, all))
        return problems.length === 0 ? all : undefined
      }, timeoutMs, 1000)
    } catch (error) {
      // What still differed, and what the nodes said: a timeout alone tells nothing.
      const logs = this.alive().map((n) => `node ${n.index}: ${n.log.join('').split('\n').filter(Boolean).slice(-5).join(' | ')}`)
      // The cells that are not in a tree, and every root, as their monitors report them.
      const views = await Promise.all(this.alive().map(async (n) => (await this.monitorStatus(n).catch(() => undefined))?.cells.filter((c) => cells.includes(c.name) && (c.state !== 'member')).map((c) => `node ${n.index} ${JSON.stringify(c).slice(0, 1500)}`) ?? []))
      throw new Error(`${(error as Error).message}\nproblems: ${problems.slice(0, 12).join('; ')}\n${logs.join('\n')}\n${views.flat().join('\n')}`, { cause: error })
    }
  }

  async stopAll(): Promise<void> {
    await this.monitorClient?.close()
    // Homes are removed once their processes are gone (not after a guessed pause).
    const gone = this.nodes.map((n) => n.child).filter((c): c is ChildProcess => c !== undefined && c.exitCode === null && c.signalCode === null).map((c) => new Promise((r) => c.once('exit', r)))
    // A profiling run ends each node with SIGTERM (a killed process writes no profile), then SIGKILL after 5 s.
    const signal = process.env.BORG_CPU_PROFILE_DIR ? 'SIGTERM' : 'SIGKILL'
    for (const n of this.nodes) n.child?.kill(signal)
    const late = signal === 'SIGTERM' ? setTimeout(() => this.nodes.forEach((n) => n.child?.kill('SIGKILL')), 5_000) : undefined
    await Promise.all(gone)
    clearTimeout(late)
    await Promise.all(this.nodes.map((n) => rm(n.home, { recursive: true, force: true, maxRetries: 5 })))
  }
}

/** Problems with one cell's tree across the given statuses (empty = one valid tree). */
export function treeProblems(cell: string, statuses: { nodeId: string; cells: CellView[] }[]): string[] {
  const views = statuses.map((s) => ({ id: s.nodeId, cell: s.cells.find((c) => c.name === cell) })).filter((v) => v.cell)
  const problems: string[] = []
  const roots = views.filter((v) => v.cell!.state === 'root')
  if (roots.length !== 1) problems.push(`${cell}: ${roots.length} roots`)
  const n = views.length
  const byPosition = new Map<number, string>()
  for (const v of views) {
    const c = v.cell!
    if (c.treeSize !== n) problems.push(`${cell}: ${v.id.slice(0, 8)} reports size ${c.treeSize}, expected ${n}`)
    if (c.position === undefined) problems.push(`${cell}: ${v.id.slice(0, 8)} has no position (${c.state})`)
    else if (byPosition.has(c.position)) problems.push(`${cell}: position ${c.position} held twice`)
    else byPosition.set(c.position, v.id)
  }
  for (let p = 1; p <= n; p++) if (!byPosition.has(p)) problems.push(`${cell}: position ${p} is empty`)
  const treeIds = new Set(views.map((v) => v.cell!.treeId))
  if (treeIds.size !== 1) problems.push(`${cell}: ${treeIds.size} tree ids`)
  for (const v of views) {
    const c = v.cell!
    if (c.position === undefined) continue
    const m = c.maxChildren
    if (c.position > 1 && c.parent?.id !== byPosition.get(parentOf(c.position, m))) problems.push(`${cell}: position ${c.position} has the wrong parent`)
    const expected = childrenOf(c.position, m, n).map((p) => byPosition.get(p))
    if (expected.join() !== c.children.map((x) => x.id).join()) problems.push(`${cell}: position ${c.position} has the wrong children`)
  }
  return problems
}

