/**
 * A borg node: one process hosting one instance of each chosen cell type. It
 * owns the node key, the TLS certificate and the network clock shared by its
 * cells, finds the other nodes' cell endpoints through their directory, and
 * takes signed control requests (leave, broadcast, send) from its own key.
 */
import { bytesToHex } from '../bytes.js'
import { BorgError } from '../errors.js'
import { createLogger } from '../log.js'
import { loadOrCreateNodeKey } from '../identity/node-key.js'
import { nodeSigner } from '../identity/signer.js'
import { paths } from '../store/paths.js'
import { loadOrCreateTlsMaterial } from '../net/cert.js'
import { InboundBudget, inboundLimitsFromEnv } from '../net/inbound-budget.js'
import { SystemClock } from '../wire/clock.js'
import { jsonMessage, readJson, type Incoming } from '../wire/message.js'
import { request } from '../wire/transport.js'
import { ANYONE, ownKey } from '../wire/router.js'
import type { Responder } from '../wire/transport.js'
import { BodyType } from '../wire/message.js'
import type { TreeConfig } from '../tree/config.js'
import type { CellType } from '../../cells/types.js'
import { registerPing } from './ping.js'
import { BORG_VERSION } from '../version.js'
import { CellInstance } from './cell-instance.js'
import { NOTE_KIND, noteBody } from './notes.js'
import { removeRunning, writeRunning, type RunningCell, type RunningNode } from './running-file.js'

export const DIRECTORY_KIND = 'node.directory'
export const CONTROL = { leave: 'node.leave', broadcast: 'node.broadcast', send: 'node.send' } as const

export interface NodeOptions {
  home: string
  cells: CellType[]
  /** HOST:PORT of any borg port of other nodes. */
  contacts: string[]
  portBase: number
  bindHost: string
  advertiseHost: string
  tree?: Partial<TreeConfig>
  /** How long to keep trying to reach contacts before starting anyway. */
  contactWaitMs?: number
}

export class OrganismNode {
  readonly cells: CellInstance[] = []
  readonly clock = new SystemClock()
  nodeId = ''
  private readonly log = createLogger('node')
  private leaving = false
  private onLeave?: () => void

  private constructor(private readonly options: NodeOptions) {}

  static async start(options: NodeOptions): Promise<OrganismNode> {
    if (options.cells.length === 0) throw new BorgError('usage', 'a node needs at least one cell type')
    const node = new OrganismNode(options)
    await node.boot()
    return node
  }

  /** Called once the node has handed over its positions after a `leave` request. */
  whenLeft(callback: () => void): void {
    this.onLeave = callback
  }

  private async boot(): Promise<void> {
    const { home } = this.options
    const key = await loadOrCreateNodeKey(home)
    this.nodeId = bytesToHex(key.id)
    const tls = await loadOrCreateTlsMaterial(paths.tlsDir(home), `borg node ${this.nodeId.slice(0, 18)}`)
    const signer = nodeSigner(key)
    const inboundBudget = new InboundBudget(inboundLimitsFromEnv(process.env)) // one for the whole node: all cells, both ports
    for (const cell of this.options.cells) {
      const instance = new CellInstance({
        cell,
        home,
        bindHost: this.options.bindHost,
        advertiseHost: this.options.advertiseHost,
        portBase: this.options.portBase,
        nodeId: this.nodeId,
        signer,
        tls,
        clock: this.clock,
        tree: this.options.tree,
        siblings: () => this.directory().cells,
        inboundBudget,
      })
      this.registerNodeKinds(instance)
      this.cells.push(instance)
    }
    try {
      for (const cell of this.cells) await cell.listen()
    } catch (error) {
      await Promise.all(this.cells.map((c) => c.stop().catch(() => {})))
      throw error
    }
    const seeds = await this.resolveContacts()
    for (const cell of this.cells) cell.start(seeds.get(cell.name) ?? [])
    await writeRunning(home, this.running())
    this.log.info(`node ${this.nodeId.slice(0, 18)}… up with cells ${this.cells.map((c) => `${c.name}@${c.endpoints.net}`).join(', ')}`)
  }

  running(): RunningNode {
    return {
      pid: process.pid,
      nodeId: this.nodeId,
      startedAt: new Date().toISOString(),
      version: BORG_VERSION,
      portBase: this.options.portBase,
      cells: Object.fromEntries(this.cells.map((c) => [c.name, c.endpoints])),
    }
  }

  private directory(): { nodeId: string; cells: Record<string, RunningCell> } {
    return { nodeId: this.nodeId, cells: Object.fromEntries(this.cells.map((c) => [c.name, c.endpoints])) }
  }

  private registerNodeKinds(cell: CellInstance): void {
    cell.netRouter.on(DIRECTORY_KIND, ANYONE, (_m, r) => r?.reply(jsonMessage(`${DIRECTORY_KIND}.reply`, this.directory())))
    cell.receptorRouter.on(DIRECTORY_KIND, ANYONE, (_m, r) => r?.reply(jsonMessage(`${DIRECTORY_KIND}.reply`, this.directory())))
    registerPing(cell.receptorRouter, this.clock, BORG_VERSION)
    // Control only from this node's own key (a command run with the same BORG_HOME).
    const own = ownKey(this.nodeId)
    const control = (kind: string, handler: (m: Incoming, r: Responder) => void) => cell.receptorRouter.on(kind, own, (m, r) => r && handler(m, r))
    control(CONTROL.leave, (_m, r) => {
      r.reply(jsonMessage(`${CONTROL.leave}.reply`, { leaving: true }))
      void this.leave()
    })
    control(CONTROL.broadcast, (m, r) => {
      const { cell: name, text } = readJson<{ cell?: string; text?: string }>(m)
      const target = this.cell(name)
      if (typeof text !== 'string' || text.length === 0) return r.fail('invalid-input', 'text is required')
      const at = this.clock.now()
      const bid = target.tree.broadcast(NOTE_KIND, noteBody(text), BodyType.json)
      r.reply(jsonMessage(`${CONTROL.broadcast}.reply`, { bid, at, cell: target.name, treeSize: target.tree.status().treeSize }))
    })
    control(CONTROL.send, (m, r) => {
      const { cell: name, text, position, node } = readJson<{ cell?: string; text?: string; position?: number; node?: string }>(m)
      const target = this.cell(name)
      if (typeof text !== 'string' || text.length === 0) return r.fail('invalid-input', 'text is required')
      if (position === undefined && node === undefined) return r.fail('invalid-input', 'a position or a node id is required')
      if (position !== undefined && (!Number.isSafeInteger(position) || position < 1)) return r.fail('invalid-input', 'position must be a positive integer')
      target.tree.sendTo({ position, node }, NOTE_KIND, noteBody(text), BodyType.json)
      r.reply(jsonMessage(`${CONTROL.send}.reply`, { queued: target.tree.status().queues.outbox }))
    })
  }

  private cell(name: string | undefined): CellInstance {
    const found = name ? this.cells.find((c) => c.name === name) : this.cells[0]
    if (!found) throw new BorgError('not-found', `this node does not run a ${name} cell (it runs ${this.cells.map((c) => c.name).join(', ')})`)
    return found
  }

  /** Learn each contact's cell endpoints from its directory (any of its ports answers). */
  private async resolveContacts(): Promise<Map<string, string[]>> {
    const seeds = new Map<string, string[]>()
    const pending = new Set(this.options.contacts)
    const deadline = Date.now() + (this.options.contactWaitMs ?? 15_000)
    const transport = this.cells[0]!.net
    while (pending.size > 0 && Date.now() < deadline) {
      await Promise.all(
        [...pending].map(async (endpoint) => {
          try {
            const reply = await request(transport, { endpoint }, jsonMessage(DIRECTORY_KIND, {}), 2_000)
            const directory = readJson<{ cells?: Record<string, RunningCell> }>(reply)
            for (const [name, cell] of Object.entries(directory.cells ?? {})) {
              if (typeof cell?.net === 'string') seeds.set(name, [...(seeds.get(name) ?? []), cell.net])
            }
            pending.delete(endpoint)
          } catch (error) {
            this.log.debug(`contact ${endpoint} not reachable yet: ${(error as Error).message}`)
          }
        }),
      )
      if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 500))
    }
    for (const endpoint of pending) this.log.warn(`contact ${endpoint} did not answer; starting without it`)
    return seeds
  }

  status(): { nodeId: string; version: string; pid: number; clock: { offsetMs: number }; cells: Record<string, unknown>[] } {
    return { nodeId: this.nodeId, version: BORG_VERSION, pid: process.pid, clock: { offsetMs: this.clock.offset }, cells: this.cells.map((c) => c.status()) }
  }

  /** Hand every position over (the last node of each tree fills it), then stop. */
  async leave(): Promise<void> {
    if (this.leaving) return
    this.leaving = true
    this.log.info('leaving: handing positions over')
    await Promise.all(this.cells.map((c) => new Promise<void>((resolve) => c.tree.leave(() => resolve()))))
    await this.stop()
    this.onLeave?.()
  }

  async stop(): Promise<void> {
    await Promise.all(this.cells.map((c) => c.stop()))
    await removeRunning(this.options.home)
  }
}
