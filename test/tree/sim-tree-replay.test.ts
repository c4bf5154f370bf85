/**
 * `npm run sim` is a replayable experiment: the same seed and options give the
 * same run (equal event digests, equal figures), another seed another run.
 * Runs scripts/sim-tree.ts itself, at a small N, with every phase (join storm,
 * both broadcasts, steady state, a single join, two churns), once under node and
 * once under bun: nothing in a run depends on the engine.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)

interface SimTreeResult {
  digest: string
  events: number
  join: { convergedMs: number; messagesPerNode: number; treeSize: number }
  broadcastFromRoot: { copies: number; expectedCopies: number; nodesNotExactlyOnce: number; depth: number }
  broadcast: { copies: number; expectedCopies: number; nodesNotExactlyOnce: number }
  steady: { perNodePerSecond: number }
  churn: { fraction: number; crashed: number; healedMs: number; treeSize: number }[]
}

/** Under node (through tsx), or under bun, which `npm run sim` uses (the engine of the compiled binary). */
async function simTree(seed: string, engine: 'node' | 'bun' = 'node'): Promise<SimTreeResult> {
  const args = ['scripts/sim-tree.ts', '--nodes', '300', '--seed', seed, '--churn', '0.01,0.1', '--steady-ms', '2000', '--json', '--quiet']
  const [command, prefix] = engine === 'bun' ? [BUN, []] : [process.execPath, ['--import', 'tsx']]
  const { stdout } = await run(command, [...prefix, ...args], { maxBuffer: 1 << 22 })
  return JSON.parse(stdout) as SimTreeResult
}
const BUN = join(process.cwd(), 'node_modules', '.bin', 'bun')

/** What must be equal between two runs of one seed: everything but wall and CPU time and memory. */
function replayable(r: SimTreeResult) {
  return { digest: r.digest, events: r.events, join: r.join, broadcastFromRoot: r.broadcastFromRoot, broadcast: r.broadcast, steady: r.steady, churn: r.churn }
}
const strip = (value: unknown): unknown => JSON.parse(JSON.stringify(value, (key, v) => (key === 'wallMs' || key === 'cpuMs' ? undefined : v)))

describe('npm run sim replays from its seed', () => {
  it('the same seed gives the same digest and figures, under node and under bun; another seed another digest', { timeout: 120_000 }, async () => {
    const [first, second, other] = await Promise.all([simTree('11'), simTree('11', 'bun'), simTree('12')])
    expect(first.join.treeSize).toBe(300)
    expect(first.broadcastFromRoot.nodesNotExactlyOnce).toBe(0)
    expect(first.broadcastFromRoot.copies).toBe(first.broadcastFromRoot.expectedCopies)
    expect(first.broadcast.nodesNotExactlyOnce).toBe(0)
    expect(first.churn.map((c) => c.crashed)).toEqual([3, 30])
    expect(first.churn[1]!.treeSize).toBe(301 - 3 - 30) // 300 and the single join
    expect(strip(replayable(second))).toEqual(strip(replayable(first)))
    expect(other.digest).not.toBe(first.digest)
  })
})
