/**
 * npm run bench:storage [-- --sizes 30M,1G --binary out/borg-linux-x64 --chunk-sizes 1M --no-helia --json]
 *
 * Storage on a 5-node loopback organism (real processes, `--cells shard,files`),
 * driven through the real CLI: `borg shard put FILE` (replicas 3) and
 * `borg shard get ID -o FILE` from another node's home, for each size. In the
 * same run, the physical baseline: the same bytes POSTed to and GOT from a
 * plain HTTPS server in another process of the same runtime (no signatures,
 * no hashing), and the same file through Helia (IPFS in JS) between two local
 * nodes (installed on first use, scripts/lib/helia-baseline.ts). Prints MB/s,
 * ratios against the targets (get ≥ 0.8 × raw, put ≥ 0.8 × raw ÷ replicas),
 * the CLI's peak RSS and the nodes' peak RSS after each size: neither may grow
 * with the file size. --chunk-sizes sweeps the chunk size (how the default was picked).
 */
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { parseSize } from '../src/core/storage/size.js'
import { ProcessOrganism, treeProblems, waitFor } from './lib/process-organism.js'
import { ensureBundle } from './lib/cli-bundle.js'
import { heliaBaseline } from './lib/helia-baseline.js'

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '30M,1G' },
    'no-helia': { type: 'boolean', default: false },
    'chunk-sizes': { type: 'string', default: '1M' },
    binary: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
})
const log = (line: string) => process.stderr.write(`${line}\n`)
const PASS = 'bench bench bench'
const organism = new ProcessOrganism(1000 + 700 * Math.floor(Math.random() * 20), { BORG_LOG_LEVEL: 'error', BORG_PASSPHRASE: PASS, BORG_SHARD_QUOTA: '20G' }, values.binary)
const runtime = values.binary ? { file: values.binary, args: [] as string[] } : { file: process.execPath, args: [ensureBundle()] }
const MB = 1e6

/** Run a command under /usr/bin/time to learn its peak RSS. */
function timed(file: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string; ms: number; peakKb: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn('/usr/bin/time', ['-f', 'PEAK_KB=%M', file, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => {
      const peak = /PEAK_KB=(\d+)/.exec(stderr)
      resolve({ code, stdout, stderr, ms: performance.now() - started, peakKb: peak ? Number(peak[1]) : NaN })
    })
  })
}

async function writeRandomFile(path: string, size: number): Promise<string> {
  const hash = createHash('sha256')
  const out = createWriteStream(path)
  for (let left = size; left > 0; ) {
    const piece = randomBytes(Math.min(left, 8 << 20))
    hash.update(piece)
    if (!out.write(piece)) await new Promise<void>((r) => out.once('drain', () => r()))
    left -= piece.length
  }
  await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())))
  return hash.digest('hex')
}

async function fileSha(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const p of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(p as Buffer)
  return hash.digest('hex')
}

/** The baseline: a plain HTTPS server process of the same runtime; the client is the same runtime too. */
async function rawHttps(path: string, size: number, work: string): Promise<{ upMBps: number; downMBps: number }> {
  const script = join(work, 'raw.mjs')
  const { writeFile } = await import('node:fs/promises')
  const { generateTlsMaterial } = await import('../src/core/net/cert.js')
  const tls = await generateTlsMaterial('bench')
  await writeFile(join(work, 'key.pem'), tls.keyPem)
  await writeFile(join(work, 'cert.pem'), tls.certPem)
  await writeFile(
    script,
    `import https from 'node:https'; import fs from 'node:fs'; import { pipeline } from 'node:stream/promises'
const [mode, file, port] = process.argv.slice(2)
if (mode === 'serve') {
  const server = https.createServer({ key: fs.readFileSync('${join(work, 'key.pem')}'), cert: fs.readFileSync('${join(work, 'cert.pem')}') }, async (req, res) => {
    if (req.method === 'POST') { let n = 0; for await (const c of req) n += c.length; res.end(String(n)) }
    else { res.writeHead(200, { 'content-length': fs.statSync(file).size }); fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(res) }
  })
  server.listen(0, '127.0.0.1', () => console.log(server.address().port))
} else {
  const agent = new https.Agent({ rejectUnauthorized: false })
  const t0 = performance.now()
  await new Promise((resolve, reject) => { const req = https.request({ host: '127.0.0.1', port, method: 'POST', agent, headers: { 'content-length': fs.statSync(file).size } }, (res) => { res.resume(); res.on('end', resolve) }); req.on('error', reject); fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(req) })
  const t1 = performance.now()
  await new Promise((resolve, reject) => https.get({ host: '127.0.0.1', port, agent }, (res) => { res.on('data', () => {}); res.on('end', resolve); res.on('error', reject) }).on('error', reject))
  const t2 = performance.now()
  console.log(JSON.stringify({ up: t1 - t0, down: t2 - t1 }))
}
`,
  )
  const js = values.binary ? { file: values.binary, pre: ['run'] } : { file: process.execPath, pre: [] as string[] }
  // The bun binary cannot run a script file; under --binary the baseline runs on node, and says so.
  const exec = values.binary ? { file: process.execPath, pre: [] as string[] } : js
  const server = spawn(exec.file, [...exec.pre, script, 'serve', path], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<string>((r) => server.stdout.once('data', (d: Buffer) => r(d.toString().trim())))
  try {
    const client = await timed(exec.file, [...exec.pre, script, 'client', path, port], {})
    const { up, down } = JSON.parse(client.stdout) as { up: number; down: number }
    return { upMBps: size / MB / (up / 1000), downMBps: size / MB / (down / 1000) }
  } finally {
    server.kill()
  }
}

/** The largest peak RSS (VmHWM) among the node processes so far, MB. */
async function nodesPeakMB(): Promise<number> {
  let most = 0
  for (const n of organism.nodes) {
    const pid = n.child?.pid
    if (!pid) continue
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0)
    most = Math.max(most, kb / 1024)
  }
  return Math.round(most)
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'borg-bench-storage-'))
  try {
    log(`starting 5 shard nodes (${values.binary ? `binary ${values.binary}` : 'node bundle'})`)
    const first = await organism.add([], 'shard,files')
    for (let i = 1; i < 5; i++) await organism.add([first.index], 'shard,files')
    await waitFor('one shard tree', async () => {
      const all = await Promise.all(organism.nodes.map((n) => organism.status(n)))
      return [...treeProblems('shard', all), ...treeProblems('files', all)].length === 0 ? all : undefined
    }, 120_000, 500)
    const created = await organism.exec(first.home, ['id', 'new', '--json'])
    if (created.code !== 0) throw new Error(created.stderr)
    const rows: Record<string, unknown>[] = []
    for (const sizeText of values.sizes!.split(',')) {
      const size = parseSize(sizeText)
      const file = join(work, `in-${sizeText}`)
      const sha = await writeRandomFile(file, size)
      const raw = await rawHttps(file, size, work)
      const helia = values['no-helia'] ? ({ ok: false, reason: 'skipped (--no-helia)' } as const) : await heliaBaseline(file, log)
      if (helia.ok) log(`${sizeText} Helia ${helia.version}: add ${helia.putMBps.toFixed(1)} MB/s, cat over bitswap ${helia.getMBps.toFixed(1)} MB/s, peak RSS ${Math.round((helia.peakRssKb ?? 0) / 1024)} MB`)
      else log(`${sizeText} Helia: ${helia.reason}`)
      for (const chunkText of values['chunk-sizes']!.split(',')) {
        const env = { BORG_HOME: first.home, BORG_PASSPHRASE: PASS, BORG_LOG_LEVEL: 'error' }
        const put = await timed(runtime.file, [...runtime.args, 'shard', 'put', file, '--json', '--chunk-size', chunkText], env)
        if (put.code !== 0) throw new Error(`put failed: ${put.stderr}`)
        const { id, transferMs: putMs } = JSON.parse(put.stdout) as { id: string; transferMs: number }
        const out = join(work, `out-${sizeText}-${chunkText}`)
        const get = await timed(runtime.file, [...runtime.args, 'shard', 'get', id, '-o', out, '--json'], { BORG_HOME: organism.nodes[2]!.home, BORG_LOG_LEVEL: 'error' })
        if (get.code !== 0) throw new Error(`get failed: ${get.stderr}`)
        if ((await fileSha(out)) !== sha) throw new Error('get returned other bytes')
        await rm(out, { force: true })
        const getMs = (JSON.parse(get.stdout) as { transferMs: number }).transferMs
        // Whole commands (process start, identity unlock, member lists) and the transfer alone (what Helia's figures are).
        const putMBps = size / MB / (put.ms / 1000)
        const getMBps = size / MB / (get.ms / 1000)
        const putTransferMBps = size / MB / (putMs / 1000)
        const getTransferMBps = size / MB / (getMs / 1000)
        const row = {
          size: sizeText,
          chunk: chunkText,
          putMBps: +putMBps.toFixed(1),
          getMBps: +getMBps.toFixed(1),
          rawUpMBps: +raw.upMBps.toFixed(1),
          rawDownMBps: +raw.downMBps.toFixed(1),
          putTransferMBps: +putTransferMBps.toFixed(1),
          getTransferMBps: +getTransferMBps.toFixed(1),
          putRatio: +(putTransferMBps / (raw.upMBps / 3)).toFixed(2),
          getRatio: +(getTransferMBps / raw.downMBps).toFixed(2),
          putPeakMB: +(put.peakKb / 1024).toFixed(0),
          getPeakMB: +(get.peakKb / 1024).toFixed(0),
          nodesPeakMB: await nodesPeakMB(),
          heliaPutMBps: helia.ok ? +helia.putMBps.toFixed(1) : null,
          heliaGetMBps: helia.ok ? +helia.getMBps.toFixed(1) : null,
          heliaPeakMB: helia.ok && helia.peakRssKb ? Math.round(helia.peakRssKb / 1024) : null,
          getVsHelia: helia.ok ? +(getTransferMBps / helia.getMBps).toFixed(1) : null,
        }
        rows.push(row)
        log(`${sizeText} chunk ${chunkText}: put ${row.putTransferMBps} MB/s transfer, ${row.putMBps} whole command (${row.putRatio} of raw÷3), get ${row.getTransferMBps} / ${row.getMBps} MB/s (${row.getRatio} of raw), peak RSS put ${row.putPeakMB} MB get ${row.getPeakMB} MB, nodes ${row.nodesPeakMB} MB`)
      }
      await rm(file, { force: true })
    }
    if (values.json) console.log(JSON.stringify(rows, null, 2))
    else {
      console.log(`borg bench storage: 5 shard nodes on loopback, replicas 3, CLI ${values.binary ? 'binary' : 'node bundle'}; raw baseline: plain HTTPS between two node processes, same bytes`)
      console.log('MB/s are of the transfer itself (the whole command, with process start and identity unlock, in brackets); ratios use the transfer figures')
      console.log('size   chunk  put MB/s        get MB/s        raw up  raw down  put/(raw÷3)  get/raw  Helia add/cat MB/s  get/Helia  peak RSS put/get/nodes/Helia MB')
      for (const r of rows) {
        const helia = r.heliaGetMBps === null ? 'n/a' : `${r.heliaPutMBps}/${r.heliaGetMBps}`
        console.log(`${String(r.size).padEnd(6)} ${String(r.chunk).padEnd(6)} ${`${r.putTransferMBps} (${r.putMBps})`.padEnd(14)}  ${`${r.getTransferMBps} (${r.getMBps})`.padEnd(14)}  ${String(r.rawUpMBps).padStart(6)}  ${String(r.rawDownMBps).padStart(8)}  ${String(r.putRatio).padStart(11)}  ${String(r.getRatio).padStart(7)}  ${helia.padStart(18)}  ${String(r.getVsHelia ?? 'n/a').padStart(9)}  ${r.putPeakMB}/${r.getPeakMB}/${r.nodesPeakMB}/${r.heliaPeakMB ?? 'n/a'}`)
      }
    }
  } finally {
    await organism.stopAll()
    await rm(work, { recursive: true, force: true })
  }
}

await main()
