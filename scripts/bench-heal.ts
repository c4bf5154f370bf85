/**
 * How storage heals after kill -9, with real node processes on loopback and
 * default settings (heartbeat 1 s, audits every 10 min, watch every 5 s):
 * five nodes (`--cells shard,files`); per trial two files are put with 3
 * copies, then two holders are killed, the shard tree's root among them (it
 * and a second holder of one of its chunks). Measured per trial:
 *
 * - whether the first `borg shard get` of one file right after the kills succeeds;
 * - ms from the kills until the live nodes' shard tree has dropped the dead
 *   (detection: a root with 3 members);
 * - ms from the kills until every chunk of the other file, which nobody reads,
 *   has 3 good copies on the live nodes' disks (only the deaths can start its repair).
 *
 * The victims come back before the next trial.
 *
 *   npx tsx scripts/bench-heal.ts [--trials 5] [--watch-ms 90000] [--verbose]
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createHash, randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ProcessOrganism, waitFor, type NodeProcess } from './lib/process-organism.js'
import { rankHolders } from '../src/core/storage/placement.js'

const { values } = parseArgs({ options: { trials: { type: 'string', default: '5' }, 'watch-ms': { type: 'string', default: '90000' }, verbose: { type: 'boolean', default: false } } })
const TRIALS = Number(values.trials)
const WATCH_MS = Number(values['watch-ms'])
const PASS = 'correct horse battery staple'
const CELLS = 'shard,files'
const organism = new ProcessOrganism(3_000 + 700 * Math.floor(Math.random() * 20), { BORG_PASSPHRASE: PASS, BORG_LOG_LEVEL: 'info' })

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
const chunkPath = (n: NodeProcess, hash: string) => join(n.home, 'node', 'cells', 'shard', 'store', 'chunks', hash.slice(0, 2), hash)

/** Live nodes with a good copy of each chunk on disk. */
async function copies(chunks: string[]): Promise<number[]> {
  return Promise.all(
    chunks.map(async (hash) => {
      let n = 0
      for (const node of organism.alive()) {
        const bytes = await readFile(chunkPath(node, hash)).catch(() => undefined)
        if (bytes && sha(bytes) === hash) n++
      }
      return n
    }),
  )
}

async function put(node: NodeProcess, file: string, bytes: Uint8Array): Promise<{ id: string; chunks: string[] }> {
  await writeFile(file, bytes)
  const r = await organism.exec(node.home, ['shard', 'put', file, '--json'], { timeoutMs: 120_000 })
  if (r.code !== 0) throw new Error(`put failed: ${r.stdout}${r.stderr}`)
  const { id } = JSON.parse(r.stdout.toString())
  const stat = JSON.parse((await organism.exec(node.home, ['shard', 'stat', id, '--json'])).stdout.toString()) as { chunks: { hash: string }[] }
  return { id, chunks: stat.chunks.map((c) => c.hash) }
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'borg-bench-heal-'))
  try {
    const first = await organism.add([], CELLS)
    for (let i = 1; i < 5; i++) await organism.add([first.index], CELLS)
    await organism.oneTreeEach(['shard', 'files'])
    for (const n of organism.nodes) await organism.exec(n.home, ['id', 'new', '--json'])
    const results: { trial: number; firstGet: string; detectMs: number | null; healMs: number | null; copies: number[] }[] = []
    for (let trial = 0; trial < TRIALS; trial++) {
      const states = await organism.cellStates('shard')
      const root = states.find((s) => s.state === 'root')!
      const entry = states.find((s) => s !== root)!
      const data = randomBytes(6 * 1024 * 1024 + 777)
      const read = await put(entry.node, join(work, `data-${trial}.bin`), data)
      const quiet = await put(entry.node, join(work, `quiet-${trial}.bin`), randomBytes(6 * 1024 * 1024 + 555))
      const ids = states.map((s) => s.id)
      const top3 = (h: string) => rankHolders(h, ids).slice(0, 3)
      const shared = quiet.chunks.find((h) => top3(h).includes(root.id) && top3(h).some((x) => x !== root.id && x !== entry.id))
      const other = shared ? top3(shared).find((x) => x !== root.id && x !== entry.id)! : states.find((s) => s !== root && s !== entry)!.id
      const victims = [root.node, states.find((s) => s.id === other)!.node]
      for (const n of organism.nodes) n.log.length = 0
      for (const v of victims) organism.kill9(v)
      const killedAt = Date.now()
      const out = join(work, `back-${trial}.bin`)
      const got = await organism.exec(entry.node.home, ['shard', 'get', read.id, '-o', out, '--json'], { timeoutMs: 120_000 })
      const firstGet = got.code === 0 && sha(await readFile(out)) === sha(data) ? 'ok' : `exit ${got.code}: ${got.stdout.toString().trim().slice(0, 200)}`
      let detectMs: number | null = null
      let healMs: number | null = null
      let now: number[] = []
      while (Date.now() - killedAt < WATCH_MS && (detectMs === null || healMs === null)) {
        if (detectMs === null && (await organism.cellStates('shard')).some((s) => s.state === 'root' && s.size === 3)) detectMs = Date.now() - killedAt
        now = await copies(quiet.chunks)
        if (healMs === null && now.every((c) => c >= 3)) healMs = Date.now() - killedAt
        await new Promise((r) => setTimeout(r, 200))
      }
      if (values.verbose) {
        for (const n of organism.alive()) console.log(`--- node ${n.index}\n${n.log.join('').split('\n').filter((l) => /steward|storage|root of tree/.test(l)).slice(-20).join('\n')}`)
      }
      results.push({ trial, firstGet, detectMs, healMs, copies: now })
      console.log(JSON.stringify(results.at(-1)))
      for (const v of victims) organism.launch(v, [entry.node.index], CELLS)
      await organism.oneTreeEach(['shard', 'files'])
    }
    console.log(JSON.stringify({ trials: results.length, firstGetOk: results.filter((r) => r.firstGet === 'ok').length, detectMs: results.map((r) => r.detectMs), healMs: results.map((r) => r.healMs) }))
  } finally {
    await organism.stopAll()
    await rm(work, { recursive: true, force: true })
  }
}

await main()
