/**
 * npm run bench:storage [-- --sizes 30M,200M,1G --binary out/borg-linux-x64 --chunk-sizes 1M --batches 32,0 --no-helia --no-hyperdrive --json]
 *
 * Storage on a 5-node loopback organism (real processes, `--cells shard,files`),
 * driven through the real CLI: `borg shard put FILE` (replicas 3) and
 * `borg shard get ID -o FILE` from another node's home, for each size. In the
 * same run, the physical baseline: the same bytes POSTed to and GOT from a
 * plain HTTPS server in another process of the same runtime (no signatures,
 * no hashing), and the same file through Helia (IPFS in JS) and through
 * Hyperdrive (Holepunch) between two local processes each (installed on first
 * use, scripts/lib/helia-baseline.ts, scripts/lib/hyperdrive-baseline.ts).
 * Prints MB/s, ratios against the targets (get ≥ 0.8 × raw, put ≥ 0.8 × raw ÷
 * replicas) and against the baselines, then per process the CPU seconds per MB
 * and the peak RSS: the CLI's and the nodes' may not grow with the file size.
 * --chunk-sizes sweeps the chunk size (how the default was picked), --batches the chunks per message
 * (0: one message per chunk, as before batching); --replication pull has the
 * holders pull copies from the first one instead of the CLI sending each (docs/storage.md).
 */
import { execFileSync, spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { parseSize } from '../src/core/storage/size.js'
import { ProcessOrganism, treeProblems, waitFor } from './lib/process-organism.js'
import { ensureBundle } from './lib/cli-bundle.js'
import { heliaBaseline } from './lib/helia-baseline.js'
import { hyperdriveBaseline } from './lib/hyperdrive-baseline.js'

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '30M,1G' },
    'no-helia': { type: 'boolean', default: false },
    'no-hyperdrive': { type: 'boolean', default: false },
    'chunk-sizes': { type: 'string', default: '1M' },
    /** Chunks per message (BORG_SHARD_BATCH; 0: one message per chunk), a list to compare in one run. */
    batches: { type: 'string', default: '32' },
    /** Who sends the copies (`borg shard put --replication`). */
    replication: { type: 'string', default: 'direct' },
    binary: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
})
const log = (line: string) => process.stderr.write(`${line}\n`)
const PASS = 'bench bench bench'
const organism = new ProcessOrganism(1000 + 700 * Math.floor(Math.random() * 20), { BORG_LOG_LEVEL: 'error', BORG_PASSPHRASE: PASS, BORG_SHARD_QUOTA: '20G' }, values.binary)
// BORG_BENCH_CLI_PROF=DIR: V8 CPU profiles of every put and get command into DIR (node only), to see where their time goes.
const cliProfile = process.env.BORG_BENCH_CLI_PROF ? [`--cpu-prof`, `--cpu-prof-dir=${process.env.BORG_BENCH_CLI_PROF}`] : []
const runtime = values.binary ? { file: values.binary, args: [] as string[] } : { file: process.execPath, args: [...cliProfile, ensureBundle()] }
const MB = 1e6

/** Run a command under /usr/bin/time to learn its CPU time (user + system, s) and peak RSS. */
function timed(
  file: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number; cpuS: number; peakKb: number; rssMedianKb: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn('/usr/bin/time', ['-f', 'BENCH_TIME=%e %U %S %M', file, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    // The command's RSS sampled every 200 ms (the peak alone is the top of one garbage-collection sawtooth).
    const samples: number[] = []
    const sampler = setInterval(() => void commandRssKb(child.pid).then((kb) => kb && samples.push(kb)), 200)
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => {
      clearInterval(sampler)
      const time = /BENCH_TIME=[\d.]+ ([\d.]+) ([\d.]+) (\d+)/.exec(stderr)
      const sorted = samples.sort((a, b) => a - b)
      resolve({
        code,
        stdout,
        stderr,
        ms: performance.now() - started,
        cpuS: time ? Number(time[1]) + Number(time[2]) : NaN,
        peakKb: time ? Number(time[3]) : NaN,
        rssMedianKb: sorted.length ? sorted[Math.floor(sorted.length / 2)]! : NaN,
      })
    })
  })
}

/** VmRSS of the command /usr/bin/time (pid `timePid`) runs, from /proc. */
async function commandRssKb(timePid: number | undefined): Promise<number | undefined> {
  if (!timePid) return undefined
  const children = await readFile(`/proc/${timePid}/task/${timePid}/children`, 'utf8').catch(() => '')
  const pid = children.trim().split(/\s+/)[0]
  if (!pid) return undefined
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1])
  return Number.isFinite(kb) && kb > 0 ? kb : undefined
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

interface RawResult {
  upMBps: number
  downMBps: number
  /** CPU s/MB: the client up to the end of the upload, and during the download; the server during each. */
  cpuPerMB: { upClient: number; upServer: number; downClient: number; downServer: number }
  peakKb: { client: number; server: number }
}

/**
 * The baseline: a plain HTTPS server process of the same runtime; the client is the same runtime
 * too. Both report process.cpuUsage() (user + system) after each transfer; the server's peak RSS
 * is its own maxRSS, the client's is from /usr/bin/time.
 */
async function rawHttps(path: string, size: number, work: string): Promise<RawResult> {
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
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }
if (mode === 'serve') {
  const report = () => console.log(JSON.stringify({ cpuMs: cpuMs(), maxRssKb: process.resourceUsage().maxRSS }))
  const server = https.createServer({ key: fs.readFileSync('${join(work, 'key.pem')}'), cert: fs.readFileSync('${join(work, 'cert.pem')}') }, async (req, res) => {
    res.on('finish', report)
    if (req.method === 'POST') { let n = 0; for await (const c of req) n += c.length; res.end(String(n)) }
    else { res.writeHead(200, { 'content-length': fs.statSync(file).size }); fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(res) }
  })
  server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port, cpuMs: cpuMs() })))
} else {
  const agent = new https.Agent({ rejectUnauthorized: false })
  const t0 = performance.now()
  await new Promise((resolve, reject) => { const req = https.request({ host: '127.0.0.1', port, method: 'POST', agent, headers: { 'content-length': fs.statSync(file).size } }, (res) => { res.resume(); res.on('end', resolve) }); req.on('error', reject); fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(req) })
  const t1 = performance.now()
  const c1 = cpuMs()
  await new Promise((resolve, reject) => https.get({ host: '127.0.0.1', port, agent }, (res) => { res.on('data', () => {}); res.on('end', resolve); res.on('error', reject) }).on('error', reject))
  const t2 = performance.now()
  console.log(JSON.stringify({ up: t1 - t0, down: t2 - t1, upCpuMs: c1, downCpuMs: cpuMs() - c1 }))
}
`,
  )
  const js = values.binary ? { file: values.binary, pre: ['run'] } : { file: process.execPath, pre: [] as string[] }
  // The bun binary cannot run a script file; under --binary the baseline runs on node, and says so.
  const exec = values.binary ? { file: process.execPath, pre: [] as string[] } : js
  const server = spawn(exec.file, [...exec.pre, script, 'serve', path], { stdio: ['ignore', 'pipe', 'inherit'] })
  // The server's stdout: {port, cpuMs} once listening, then {cpuMs, maxRssKb} after each response.
  const serverLines = createInterface({ input: server.stdout })[Symbol.asyncIterator]()
  const serverLine = async <T>(): Promise<T> => {
    // Bounded: a lost line once left a run waiting for ever.
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the raw HTTPS server did not report within 120 s')), 120_000)))
    const next = await Promise.race([serverLines.next(), late]).finally(() => clearTimeout(timer))
    if (next.done) throw new Error('the raw HTTPS server ended early')
    return JSON.parse(next.value as string) as T
  }
  try {
    const listening = await serverLine<{ port: number; cpuMs: number }>()
    const client = await timed(exec.file, [...exec.pre, script, 'client', path, String(listening.port)], {})
    const { up, down, upCpuMs, downCpuMs } = JSON.parse(client.stdout) as { up: number; down: number; upCpuMs: number; downCpuMs: number }
    const posted = await serverLine<{ cpuMs: number; maxRssKb: number }>()
    const served = await serverLine<{ cpuMs: number; maxRssKb: number }>()
    const mb = size / MB
    return {
      upMBps: mb / (up / 1000),
      downMBps: mb / (down / 1000),
      cpuPerMB: { upClient: upCpuMs / 1000 / mb, upServer: (posted.cpuMs - listening.cpuMs) / 1000 / mb, downClient: downCpuMs / 1000 / mb, downServer: (served.cpuMs - posted.cpuMs) / 1000 / mb },
      peakKb: { client: client.peakKb, server: served.maxRssKb },
    }
  } finally {
    server.kill()
  }
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

/** CPU seconds (user + system, all threads) the node processes have used so far, together. */
async function nodesCpuS(): Promise<number> {
  let ticks = 0
  for (const n of organism.nodes) {
    const pid = n.child?.pid
    if (!pid) continue
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
    // Fields after "(comm)": state is the 3rd field of the line, utime the 14th, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0)
  }
  return ticks / CLOCK_TICKS
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

/** One process's share of one operation: CPU seconds (user + system) per MB of the file, and its peak RSS. */
interface ProcessFigures {
  operation: string
  process: string
  cpuSPerMB: number | null
  peakRssMB: number | null
  /** The CLI's RSS sampled every 200 ms during the command, median (n/a for other processes). */
  medianRssMB?: number | null
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
    // A warm-up put and get, not measured: the first put into fresh nodes also creates their 256
    // fan-out directories and warms their JIT, which would count against whichever configuration
    // runs first.
    const warm = join(work, 'warm-up')
    await writeRandomFile(warm, 48 * MB)
    const warmPut = await organism.exec(first.home, ['shard', 'put', warm, '--json'], { timeoutMs: 300_000 })
    if (warmPut.code !== 0) throw new Error(`warm-up put failed: ${warmPut.stderr}`)
    const warmGet = await organism.exec(organism.nodes[2]!.home, ['shard', 'get', JSON.parse(warmPut.stdout.toString()).id, '-o', `${warm}.back`, '--json'], { timeoutMs: 300_000 })
    if (warmGet.code !== 0) throw new Error(`warm-up get failed: ${warmGet.stderr}`)
    await rm(warm, { force: true })
    await rm(`${warm}.back`, { force: true })
    const rows: (Record<string, unknown> & { processes: ProcessFigures[] })[] = []
    for (const sizeText of values.sizes!.split(',')) {
      const size = parseSize(sizeText)
      const file = join(work, `in-${sizeText}`)
      const sha = await writeRandomFile(file, size)
      const raw = await rawHttps(file, size, work)
      const helia = values['no-helia'] ? ({ ok: false, reason: 'skipped (--no-helia)' } as const) : await heliaBaseline(file, log)
      if (helia.ok) log(`${sizeText} Helia ${helia.version}: add ${helia.putMBps.toFixed(1)} MB/s, cat over bitswap ${helia.getMBps.toFixed(1)} MB/s, peak RSS ${Math.round((helia.peakRssKb ?? 0) / 1024)} MB`)
      else log(`${sizeText} Helia: ${helia.reason}`)
      const hyperdrive = values['no-hyperdrive'] ? ({ ok: false, reason: 'skipped (--no-hyperdrive)' } as const) : await hyperdriveBaseline(file, sha, log)
      if (hyperdrive.ok) log(`${sizeText} Hyperdrive ${hyperdrive.version}: put ${hyperdrive.putMBps.toFixed(1)} MB/s, get over one TCP socket ${hyperdrive.getMBps.toFixed(1)} MB/s`)
      else log(`${sizeText} Hyperdrive: ${hyperdrive.reason}`)
      for (const [chunkText, batch] of values['chunk-sizes']!.split(',').flatMap((c) => values.batches!.split(',').map((b) => [c, b] as const))) {
        const env = { BORG_HOME: first.home, BORG_PASSPHRASE: PASS, BORG_LOG_LEVEL: 'error', BORG_SHARD_BATCH: batch }
        // Dirty pages of the file just written (or of the last put) are flushed first, so each
        // configuration starts with the same quiet disk whatever ran before it.
        execFileSync('sync')
        const nodesCpu0 = await nodesCpuS()
        const put = await timed(runtime.file, [...runtime.args, 'shard', 'put', file, '--json', '--chunk-size', chunkText, '--replication', values.replication!], env)
        const nodesCpu1 = await nodesCpuS()
        if (put.code !== 0) throw new Error(`put failed: ${put.stderr}`)
        const { id, transferMs: putMs } = JSON.parse(put.stdout) as { id: string; transferMs: number }
        const out = join(work, `out-${sizeText}-${chunkText}`)
        const get = await timed(runtime.file, [...runtime.args, 'shard', 'get', id, '-o', out, '--json'], { BORG_HOME: organism.nodes[2]!.home, BORG_LOG_LEVEL: 'error', BORG_SHARD_BATCH: batch })
        const nodesCpu2 = await nodesCpuS()
        if (get.code !== 0) throw new Error(`get failed: ${get.stderr}`)
        if ((await fileSha(out)) !== sha) throw new Error('get returned other bytes')
        await rm(out, { force: true })
        const getMs = (JSON.parse(get.stdout) as { transferMs: number }).transferMs
        // Whole commands (process start, identity unlock, member lists) and the transfer alone (what Helia's figures are).
        const putMBps = size / MB / (put.ms / 1000)
        const getMBps = size / MB / (get.ms / 1000)
        const putTransferMBps = size / MB / (putMs / 1000)
        const getTransferMBps = size / MB / (getMs / 1000)
        const nodesPeak = await nodesPeakMB()
        const mb = size / MB
        const perMB = (s: number) => +s.toFixed(4)
        const kbToMB = (kb: number) => Math.round(kb / 1024)
        // CPU seconds (user + system) per MB of the file and peak RSS, per process and operation. The CLI's
        // figures are whole commands (/usr/bin/time); the nodes' are their /proc CPU counters over the command.
        const processes: ProcessFigures[] = [
          { operation: 'borg put', process: 'CLI (whole command)', cpuSPerMB: perMB(put.cpuS / mb), peakRssMB: kbToMB(put.peakKb), medianRssMB: kbToMB(put.rssMedianKb) },
          { operation: 'borg put', process: '5 nodes (CPU summed)', cpuSPerMB: perMB((nodesCpu1 - nodesCpu0) / mb), peakRssMB: nodesPeak },
          { operation: 'borg get', process: 'CLI (whole command)', cpuSPerMB: perMB(get.cpuS / mb), peakRssMB: kbToMB(get.peakKb), medianRssMB: kbToMB(get.rssMedianKb) },
          { operation: 'borg get', process: '5 nodes (CPU summed)', cpuSPerMB: perMB((nodesCpu2 - nodesCpu1) / mb), peakRssMB: nodesPeak },
          { operation: 'raw up', process: 'client (from its start)', cpuSPerMB: perMB(raw.cpuPerMB.upClient), peakRssMB: kbToMB(raw.peakKb.client) },
          { operation: 'raw up', process: 'server', cpuSPerMB: perMB(raw.cpuPerMB.upServer), peakRssMB: kbToMB(raw.peakKb.server) },
          { operation: 'raw down', process: 'client', cpuSPerMB: perMB(raw.cpuPerMB.downClient), peakRssMB: kbToMB(raw.peakKb.client) },
          { operation: 'raw down', process: 'server', cpuSPerMB: perMB(raw.cpuPerMB.downServer), peakRssMB: kbToMB(raw.peakKb.server) },
          ...(helia.ok ? [{ operation: 'Helia add+cat', process: 'larger of the 2 nodes', cpuSPerMB: null, peakRssMB: helia.peakRssKb ? kbToMB(helia.peakRssKb) : null }] : []),
          ...(hyperdrive.ok
            ? [
                { operation: 'Hyperdrive put', process: 'A (from its start)', cpuSPerMB: perMB(hyperdrive.cpuPerMB.put), peakRssMB: kbToMB(hyperdrive.peakRssKb.a) },
                { operation: 'Hyperdrive get', process: 'B (from its start)', cpuSPerMB: perMB(hyperdrive.cpuPerMB.get), peakRssMB: kbToMB(hyperdrive.peakRssKb.b) },
                { operation: 'Hyperdrive get', process: 'A serving', cpuSPerMB: perMB(hyperdrive.cpuPerMB.serve), peakRssMB: kbToMB(hyperdrive.peakRssKb.a) },
              ]
            : []),
        ]
        const row = {
          size: sizeText,
          chunk: chunkText,
          batch: Number(batch),
          putMBps: +putMBps.toFixed(1),
          getMBps: +getMBps.toFixed(1),
          rawUpMBps: +raw.upMBps.toFixed(1),
          rawDownMBps: +raw.downMBps.toFixed(1),
          putTransferMBps: +putTransferMBps.toFixed(1),
          getTransferMBps: +getTransferMBps.toFixed(1),
          putRatio: +(putTransferMBps / (raw.upMBps / 3)).toFixed(2),
          getRatio: +(getTransferMBps / raw.downMBps).toFixed(2),
          heliaPutMBps: helia.ok ? +helia.putMBps.toFixed(1) : null,
          heliaGetMBps: helia.ok ? +helia.getMBps.toFixed(1) : null,
          getVsHelia: helia.ok ? +(getTransferMBps / helia.getMBps).toFixed(1) : null,
          hyperdrivePutMBps: hyperdrive.ok ? +hyperdrive.putMBps.toFixed(1) : null,
          hyperdriveGetMBps: hyperdrive.ok ? +hyperdrive.getMBps.toFixed(1) : null,
          getVsHyperdrive: hyperdrive.ok ? +(getTransferMBps / hyperdrive.getMBps).toFixed(1) : null,
          processes,
        }
        rows.push(row)
        log(`${sizeText} chunk ${chunkText} batch ${batch}: put ${row.putTransferMBps} MB/s transfer, ${row.putMBps} whole command (${row.putRatio} of raw÷3), get ${row.getTransferMBps} / ${row.getMBps} MB/s (${row.getRatio} of raw), peak RSS put ${processes[0]!.peakRssMB} MB get ${processes[2]!.peakRssMB} MB (median ${processes[0]!.medianRssMB} / ${processes[2]!.medianRssMB}), nodes ${nodesPeak} MB`)
      }
      await rm(file, { force: true })
    }
    if (values.json) console.log(JSON.stringify(rows, null, 2))
    else {
      console.log(`borg bench storage: 5 shard nodes on loopback, replicas 3, CLI ${values.binary ? 'binary' : 'node bundle'}; raw baseline: plain HTTPS between two node processes, same bytes`)
      console.log('MB/s are of the transfer itself (the whole command, with process start and identity unlock, in brackets); ratios use the transfer figures')
      console.log('size   chunk  batch  put MB/s        get MB/s        raw up  raw down  put/(raw÷3)  get/raw  Helia add/cat MB/s  get/Helia  Hyperdrive put/get MB/s  get/Hyperdrive')
      for (const r of rows) {
        const helia = r.heliaGetMBps === null ? 'n/a' : `${r.heliaPutMBps}/${r.heliaGetMBps}`
        const hyperdrive = r.hyperdriveGetMBps === null ? 'n/a' : `${r.hyperdrivePutMBps}/${r.hyperdriveGetMBps}`
        console.log(`${String(r.size).padEnd(6)} ${String(r.chunk).padEnd(6)} ${String(r.batch).padEnd(6)} ${`${r.putTransferMBps} (${r.putMBps})`.padEnd(14)}  ${`${r.getTransferMBps} (${r.getMBps})`.padEnd(14)}  ${String(r.rawUpMBps).padStart(6)}  ${String(r.rawDownMBps).padStart(8)}  ${String(r.putRatio).padStart(11)}  ${String(r.getRatio).padStart(7)}  ${helia.padStart(18)}  ${String(r.getVsHelia ?? 'n/a').padStart(9)}  ${hyperdrive.padStart(23)}  ${String(r.getVsHyperdrive ?? 'n/a').padStart(14)}`)
      }
      console.log('')
      console.log('per process: CPU seconds (user + system) per MB of the file, and peak RSS (over the process\'s life; the nodes\': the largest)')
      console.log('size   chunk  batch  operation       process                  CPU s/MB  peak RSS MB  median RSS MB')
      for (const r of rows)
        for (const p of r.processes)
          console.log(`${String(r.size).padEnd(6)} ${String(r.chunk).padEnd(6)} ${String(r.batch).padEnd(6)} ${p.operation.padEnd(15)} ${p.process.padEnd(23)} ${String(p.cpuSPerMB ?? 'n/a').padStart(9)}  ${String(p.peakRssMB ?? 'n/a').padStart(11)}  ${String(p.medianRssMB ?? 'n/a').padStart(13)}`)
    }
  } finally {
    await organism.stopAll()
    await rm(work, { recursive: true, force: true })
  }
}

await main()
