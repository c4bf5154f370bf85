/**
 * The conduit's live list of cells per type (docs/conduit.md "Failover"):
 * filled from the service registry, each node scored by the latency and the
 * errors the conduit itself saw, and two ways to use it:
 *
 * - `read`: ask the best node; when it has not answered within the hedge
 *   delay (about its usual latency times three, 150 ms to 2 s), ask the
 *   second best too; the first answer wins. Failures move on down the list.
 * - `write`: ask the best node; when it fails with an error that says the
 *   request may not have arrived (unreachable, timeout, overloaded), ask the
 *   next one with the same request. A write names what it writes by content
 *   (a block id, a chunk hash, a record id), so the network's replay
 *   protection makes a retried write one effect.
 *
 * There is no fallback host: only nodes the registry lists (and the node the
 * conduit was started with). Time and timers are injected (tests run it
 * without waiting).
 */
import { BorgError } from '../core/errors.js'

export interface CellEndpoint {
  /** The node's id (key id hex). */
  node: string
  /** The cell's receptor, HOST:PORT. */
  endpoint: string
}

export interface RegistryEntry {
  node: string
  cells: { type: string; recp?: string }[]
}

export interface PoolClock {
  now(): number
  /** Call `fn` after `ms`; the returned function cancels it. */
  after(ms: number, fn: () => void): () => void
}

export const realClock: PoolClock = {
  now: () => performance.now(),
  after: (ms, fn) => {
    const timer = setTimeout(fn, ms)
    timer.unref?.()
    return () => clearTimeout(timer)
  },
}

interface NodeScore {
  cells: Map<string, string>
  /** Smoothed latency of its answers, ms (undefined: not asked yet). */
  latencyMs?: number
  /** Recent failures, decaying by half every DECAY_MS. */
  errors: number
  errorsAt: number
  /** Kept when the registry no longer lists it (the node the conduit was started with). */
  pinned: boolean
}

/** The cell type meaning "any cell of the node" (requests every router answers: records, directory). */
export const ANY = '*'

/** Latency assumed for a node not asked yet (so fresh nodes are tried before ones that failed). */
const UNKNOWN_LATENCY_MS = 100
const EWMA_WEIGHT = 0.3
const DECAY_MS = 30_000
/** Nodes listed at most (a registry can be large; the conduit needs a few good ones). */
export const MAX_POOL_NODES = 64
export const MIN_HEDGE_MS = 150
export const MAX_HEDGE_MS = 2_000

/** Whether an error says the request may never have reached the node (another node may take it). */
export function worthRetrying(error: unknown): boolean {
  if (!(error instanceof BorgError)) return true // transport failures: reset, refused connection, TLS
  // Overloaded, unreachable or slow; a reply that fails verification; a key that is not the node's: ask another node.
  return error.retryable || error.code === 'bad-reply' || error.code === 'tls-pin' || error.code === 'identity-mismatch'
}

export interface Attempt {
  node: string
  endpoint: string
  ms: number
  ok: boolean
  error?: string
  hedged?: boolean
}

export class EndpointPool {
  private readonly nodes = new Map<string, NodeScore>()
  /** The last attempts (newest last), for the network pane and the tests. */
  readonly attempts: Attempt[] = []

  constructor(private readonly clock: PoolClock = realClock) {}

  /** A node to keep whatever the registry says (the one the conduit starts from). */
  pin(node: string, cells: { type: string; recp: string }[]): void {
    const score = this.score(node)
    score.pinned = true
    for (const c of cells) score.cells.set(c.type, c.recp)
  }

  /** Replace the cell lists with the registry's; scores of nodes still listed are kept. */
  update(entries: RegistryEntry[]): void {
    const listed = new Set<string>()
    for (const entry of entries.slice(0, MAX_POOL_NODES)) {
      listed.add(entry.node)
      const score = this.score(entry.node)
      if (!score.pinned) score.cells.clear()
      for (const c of entry.cells) if (c.recp) score.cells.set(c.type, c.recp)
    }
    for (const [id, score] of this.nodes) if (!listed.has(id) && !score.pinned) this.nodes.delete(id)
  }

  private score(node: string): NodeScore {
    let score = this.nodes.get(node)
    if (!score) {
      score = { cells: new Map(), errors: 0, errorsAt: this.clock.now(), pinned: false }
      this.nodes.set(node, score)
    }
    return score
  }

  private errorsOf(score: NodeScore): number {
    return score.errors * 0.5 ** ((this.clock.now() - score.errorsAt) / DECAY_MS)
  }

  /** What a node costs to ask: its latency, tripled per recent failure. */
  costOf(node: string): number {
    const score = this.nodes.get(node)
    if (!score) return Infinity
    return (score.latencyMs ?? UNKNOWN_LATENCY_MS) * 3 ** this.errorsOf(score)
  }

  /** Cells of `type` (ANY: one receptor of each node), cheapest first (ties: by node id, so the order is stable). */
  ranked(type: string): CellEndpoint[] {
    const out: (CellEndpoint & { cost: number })[] = []
    for (const [node, score] of this.nodes) {
      const endpoint = type === ANY ? score.cells.values().next().value : score.cells.get(type)
      if (endpoint) out.push({ node, endpoint, cost: this.costOf(node) })
    }
    out.sort((a, b) => a.cost - b.cost || (a.node < b.node ? -1 : 1))
    return out.map(({ node, endpoint }) => ({ node, endpoint }))
  }

  /** The receptor of `node`'s cell of `type`, if the pool knows it. */
  cellOf(node: string, type: string): string | undefined {
    return this.nodes.get(node)?.cells.get(type)
  }

  /** Node ids in the pool with what they run. */
  list(): { node: string; cells: string[]; latencyMs?: number; errors: number; pinned: boolean }[] {
    return [...this.nodes].map(([node, s]) => ({ node, cells: [...s.cells.keys()], latencyMs: s.latencyMs === undefined ? undefined : Math.round(s.latencyMs), errors: Math.round(this.errorsOf(s) * 100) / 100, pinned: s.pinned }))
  }

  /** Note how one request went (read and write do; other callers may too). */
  note(node: string, endpoint: string, ms: number, ok: boolean, error?: unknown, hedged?: boolean): void {
    this.attempts.push({ node, endpoint, ms: Math.round(ms), ok, ...(error ? { error: (error as Error).message } : {}), ...(hedged ? { hedged } : {}) })
    if (this.attempts.length > 100) this.attempts.shift()
    const score = this.nodes.get(node)
    if (!score) return
    if (ok) {
      score.latencyMs = score.latencyMs === undefined ? ms : score.latencyMs + EWMA_WEIGHT * (ms - score.latencyMs)
    } else {
      score.errors = this.errorsOf(score) + 1
      score.errorsAt = this.clock.now()
    }
  }

  /** How long a read waits for `node` before asking another one too. */
  hedgeDelay(node: string): number {
    const latency = this.nodes.get(node)?.latencyMs ?? UNKNOWN_LATENCY_MS * 3
    return Math.min(MAX_HEDGE_MS, Math.max(MIN_HEDGE_MS, latency * 3))
  }

  private async timed<T>(cell: CellEndpoint, op: (cell: CellEndpoint) => Promise<T>, hedged = false): Promise<T> {
    const started = this.clock.now()
    try {
      const value = await op(cell)
      this.note(cell.node, cell.endpoint, this.clock.now() - started, true, undefined, hedged)
      return value
    } catch (error) {
      this.note(cell.node, cell.endpoint, this.clock.now() - started, false, error, hedged)
      throw error
    }
  }

  private none(type: string): BorgError {
    return new BorgError('unavailable', `no live ${type} cell is known (the service registry lists none, and the node the conduit started from has none)`)
  }

  /**
   * A read: the best cell first, a second one too when the first is slow, then the rest one by one
   * while reads fail. An answer that is the network's verdict (not found, refused, malformed input)
   * is final: another node would say the same.
   */
  async read<T>(type: string, op: (cell: CellEndpoint) => Promise<T>): Promise<T> {
    const queue = this.ranked(type)
    if (queue.length === 0) throw this.none(type)
    return new Promise<T>((resolve, reject) => {
      let running = 0
      let settled = false
      let lastError: unknown
      let cancelHedge = () => {}
      const start = (hedged: boolean) => {
        const cell = queue.shift()
        if (!cell) {
          if (running === 0 && !settled) {
            settled = true
            reject(lastError)
          }
          return
        }
        running++
        this.timed(cell, op, hedged).then(
          (value) => {
            running--
            if (settled) return
            settled = true
            cancelHedge()
            resolve(value)
          },
          (error: unknown) => {
            running--
            if (settled) return
            lastError = error
            if (!worthRetrying(error)) {
              settled = true
              cancelHedge()
              return reject(error)
            }
            if (running === 0 || queue.length > 0) start(false)
          },
        )
      }
      const first = queue[0]!
      start(false)
      cancelHedge = this.clock.after(this.hedgeDelay(first.node), () => {
        if (!settled) start(true)
      })
    })
  }

  /** A write: one cell at a time, the next only when the last one may never have got it. */
  async write<T>(type: string, op: (cell: CellEndpoint) => Promise<T>): Promise<T> {
    const queue = this.ranked(type)
    if (queue.length === 0) throw this.none(type)
    let lastError: unknown
    for (const cell of queue) {
      try {
        return await this.timed(cell, op)
      } catch (error) {
        lastError = error
        if (!worthRetrying(error)) throw error
      }
    }
    throw lastError
  }
}
