/**
 * How storage heals after kill -9, with real node processes on loopback and
 * default settings (heartbeat 1 s, audits every 10 min): five nodes
 * (`--cells shard,files`), a file put with 3 copies, then per trial two of a
 * chunk's holders are killed, the shard tree's root among them. Measured:
 * whether the first `borg shard get` right after the kills succeeds, and how
 * long until every chunk of the file has 3 copies again on the live nodes'
 * disks (no reads in between, so only a membership change can start the
 * repair). The victims come back before the next trial.
 *
 *   npx tsx scripts/bench-heal.ts [--trials 5] [--watch-ms 90000]
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createHash, randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ProcessOrganism, treeProblems, waitFor, type NodeProcess } from './lib/process-organism.js'

const { values } = parseArgs({ options: { trials: { type: 'string', default: '5' }, 'watch-ms': { type: 'string', default: '90000' }, 'port-base': { type: 'string' } } })
const TRIALS = Number(values.trials)
const WATCH_MS = Number(values['watch-ms'])
const PASS = 'correct horse battery staple'
const CELLS = 'shard,files'
const organism = new ProcessOrganism(Number(values['port-base'] ?? 3_000 + 700 * Math.floor(Math.random() * 20)), { BORG_PASSPHRASE: PASS, BORG_LOG_LEVEL: 'info' })

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
const chunkPath = (n: NodeProcess, hash: string) => join(n.home, 'node', 'cells', 'shard', 'store', 'chunks', hash.slice(0, 2), hash)

/** Live nodes that have each chunk on disk, with the right bytes. */
async function copies(chunks: string[]): Promise<number[]> {
  const alive = organism.alive()
  return Promise.all(
    chunks.map(async (hash) => {
      let n = 0
      for (const node of alive) {
        const bytes = await readFile(chunkPath(node, hash)).catch(() => undefined)
        if (bytes && sha(bytes) === hash) n++
      }
      return n
    }),
  )
}

async function oneTree(): Promise<void> {
  await waitFor('one shard tree and one file-manager tree', async () => {
    const all = await Promise.all(organism.alive().map((n) => organism.status(n)))
    return [...treeProblems('shard', all), ...treeProblems('files', all)].length === 0 ? all : undefined
  }, 120_000, 1000)
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'borg-bench-heal-'))
  try {
    const first = await organism.add([], CELLS)
    for (let i = 1; i < 5; i++) await organism.add([first.index], CELLS)
    await oneTree()
    const results: { trial: number; firstGet: string; healMs: number | null; lowest: number[] }[] = []
    for (let trial = 0; trial < TRIALS; trial++) {
      const statuses = await Promise.all(organism.nodes.map((n) => organism.monitorStatus(n)))
      const rootIndex = statuses.findIndex((s) => s.cells.find((c) => c.name === 'shard')!.state === 'root')
      // The client works through a node that is not killed: one that is not the root.
      const entry = organism.nodes.find((_, i) => i !== rootIndex)!
      await organism.exec(entry.home, ['id', 'new', '--json'])
      const data = randomBytes(6 * 1024 * 1024 + 777)
      const file = join(work, `data-${trial}.bin`)
      await writeFile(file, data)
      const put = await organism.exec(entry.home, ['shard', 'put', file, '--json'], { timeoutMs: 120_000 })
      if (put.code !== 0) throw new Error(`put failed: ${put.stderr}`)
      const { id } = JSON.parse(put.stdout.toString())
      // A second file nobody reads: only a membership change can start its repair.
      const quietFile = join(work, `quiet-${trial}.bin`)
      await writeFile(quietFile, randomBytes(6 * 1024 * 1024 + 555))
      const quietPut = await organism.exec(entry.home, ['shard', 'put', quietFile, '--json'], { timeoutMs: 120_000 })
      if (quietPut.code !== 0) throw new Error(`put failed: ${quietPut.stderr}`)
      const quietId = JSON.parse(quietPut.stdout.toString()).id
      const manifest = JSON.parse((await organism.exec(entry.home, ['shard', 'stat', id, '--json'])).stdout.toString()) as { chunks: { hash: string; holders: string[] }[] }
      const quiet = JSON.parse((await organism.exec(entry.home, ['shard', 'stat', quietId, '--json'])).stdout.toString()) as { chunks: { hash: string; holders: string[] }[] }
      const chunks = quiet.chunks.map((c) => c.hash)
      // The root and another holder of a chunk the root holds (not the entry): that chunk is left with one copy.
      const ids = statuses.map((s) => s.nodeId)
      const shared = [...quiet.chunks, ...manifest.chunks].find((c) => c.holders.includes(ids[rootIndex]!) && c.holders.some((h) => h !== ids[rootIndex] && h !== ids[entry.index]))!
      const holderOfAny = shared.holders.find((h) => h !== ids[rootIndex] && h !== ids[entry.index])!
      const victims = [organism.nodes[rootIndex]!, organism.nodes[ids.indexOf(holderOfAny)]!]
      for (const v of victims) organism.kill9(v)
      const killedAt = Date.now()
      const got = await organism.exec(entry.home, ['shard', 'get', id, '-o', join(work, `back-${trial}.bin`), '--json'], { timeoutMs: 120_000 })
      const firstGet = got.code === 0 && sha(await readFile(join(work, `back-${trial}.bin`))) === sha(data) ? 'ok' : `exit ${got.code}: ${got.stderr.trim().slice(0, 200)}`
      let healMs: number | null = null
      let lowest: number[] = []
      while (Date.now() - killedAt < WATCH_MS) {
        lowest = await copies(chunks)
        if (lowest.every((c) => c >= 3)) {
          healMs = Date.now() - killedAt
          break
        }
        await new Promise((r) => setTimeout(r, 500))
      }
      if (process.env.HEAL_VERBOSE) for (const n of organism.alive()) console.log(`--- node ${n.index}\n${n.log.join('').split('\n').filter((l) => /steward|storage|no live|root|failover/.test(l)).slice(-30).join('\n')}`)
      for (const n of organism.nodes) n.log.length = 0
      results.push({ trial, firstGet, healMs, lowest })
      console.log(JSON.stringify(results.at(-1)))
      for (const v of victims) organism.launch(v, [entry.index], CELLS)
      await oneTree()
    }
    console.log(JSON.stringify({ trials: results.length, firstGetOk: results.filter((r) => r.firstGet === 'ok').length, healMs: results.map((r) => r.healMs) }))
  } finally {
    await organism.stopAll()
    await rm(work, { recursive: true, force: true })
  }
}

await main()
