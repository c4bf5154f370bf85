/**
 * A Helia (IPFS in JS) baseline for `npm run bench:storage`: the same file put into one Helia
 * node and fetched by another over loopback, so borg's put/get can be read next to what the
 * reference JS p2p storage stack does on the same machine.
 *
 *   put = `unixfs.addByteStream` of the file, streamed from disk, on node A (a local add: IPFS
 *         does not push copies anywhere on add, unlike `borg shard put` with 3 replicas).
 *   get = `unixfs.cat` of that CID on node B, a second Helia node in another process dialled
 *         straight to A's TCP multiaddr on 127.0.0.1; the blocks come over bitswap. The bytes
 *         are hashed as they arrive and must have the file's SHA-256.
 * Times cover the operation only (not process start-up, node start or the dial); MB = 1e6 B.
 * Both nodes run in child processes (node, under /usr/bin/time for peak RSS when it exists);
 * peakRssKb is the larger of the two (both are logged): in practice node A's, which while serving
 * B over bitswap held ~750 MB for a 300 MB file against ~140 MB for the add alone. The runner is scripts/lib/helia-runner.mjs, which also
 * says which Helia/libp2p components and settings are used (default @helia/unixfs importer
 * settings: CIDv1, raw leaves, fixed 1 MiB chunks, balanced DAG of up to 1024 links per node).
 *
 * Helia is not a dependency of this repo: CI installs everything in package.json and the Helia
 * and libp2p tree is large. It is installed on first use into
 * ${XDG_CACHE_HOME:-~/.cache}/borg-bench/helia with its own package.json (HELIA_DEPENDENCIES,
 * exact versions that run on Node 20; see the comment there) and reused while that list is
 * unchanged. The runner is copied there so its imports resolve against that node_modules.
 * Nothing here throws: any failure, timeout included, is `{ ok: false, reason }`.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream, existsSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export type HeliaBaselineResult =
  | { ok: true; version: string; putMBps: number; getMBps: number; putMs: number; getMs: number; bytes: number; peakRssKb?: number }
  | { ok: false; reason: string }

/**
 * Exact versions, all of them declaring (with their dependencies) engines that Node 20.19+ meets.
 * The newest line does not run on Node 20: helia 7 (7.1.15) pulls @helia/libp2p -> libp2p ≥ 3.3.3
 * -> p-retry 8 (node ≥ 22), @libp2p/http -> undici 8 (node ≥ 22.19; it fails on import on Node 20,
 * zlib has no zstd) and @libp2p/circuit-relay-v2 -> nanoid 6 (node ≥ 22). So: the Helia 6 line,
 * as its parts rather than the `helia` meta-package (whose default libp2p config drags in
 * WebRTC, the DHT, HTTP and relays this benchmark does not use): @helia/utils 2.4.2 (the Helia
 * class; 2.5 wants libp2p ^3.2, which is on p-retry 8), @helia/block-brokers 5.1.4 and
 * @helia/bitswap 3.1.4 (the newer 5.2/3.2 want @helia/utils ^2.5), @helia/unixfs 7.2.1, libp2p
 * 3.1.7 (the last on p-retry 7), noise 17.0.0 and yamux 8.0.1 (what helia 6 uses), the current
 * @libp2p/tcp and @libp2p/identify, blockstore-fs 3.0.2 / datastore-fs 11.0.4 and multiformats
 * 13.4.2 (the store interfaces and CID of the Helia 6 line; the runner parses the CID). `npm install --engine-strict` refuses any package (say a newer
 * transitive release) whose `engines` excludes this Node, so drift is a clear install failure
 * rather than a crash. One Node 22 builtin is used without being declared anywhere
 * (Promise.withResolvers); the runner defines it when missing.
 */
export const HELIA_DEPENDENCIES: Readonly<Record<string, string>> = {
  '@helia/utils': '2.4.2',
  '@helia/block-brokers': '5.1.4',
  '@helia/bitswap': '3.1.4',
  '@helia/unixfs': '7.2.1',
  libp2p: '3.1.7',
  '@libp2p/tcp': '11.0.28',
  '@libp2p/identify': '4.1.14',
  '@chainsafe/libp2p-noise': '17.0.0',
  '@chainsafe/libp2p-yamux': '8.0.1',
  '@multiformats/multiaddr': '13.0.3',
  multiformats: '13.4.2',
  'blockstore-fs': '3.0.2',
  'datastore-fs': '11.0.4',
}

const MB = 1e6
const INSTALL_TIMEOUT_MS = 15 * 60_000
/** Per phase (put, get): two minutes plus one second per MB, i.e. it fails below ~1 MB/s. */
const phaseTimeoutMs = (bytes: number) => 120_000 + (bytes / MB) * 1000
const RUNNER = fileURLToPath(new URL('./helia-runner.mjs', import.meta.url))
const TIME = '/usr/bin/time'
const PEAK = 'HELIA_PEAK_KB='

export function heliaCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'borg-bench', 'helia')
}

const oneLine = (text: string, max = 400) => {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > max ? `${line.slice(0, max)}…` : line
}
const errorText = (err: unknown) => oneLine(err instanceof Error ? err.message : String(err))

/** Node, even when the caller runs on bun: the runner is a plain Node ESM script. */
const nodeBinary = () => ((process.versions as Record<string, string | undefined>).bun ? 'node' : process.execPath)

function killGroup(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
  try {
    process.kill(-child.pid, 'SIGKILL')
  } catch {
    try {
      child.kill('SIGKILL')
    } catch {
      /* already gone */
    }
  }
}

/** Runs a command in its own process group; resolves with its output, never rejects. */
function run(file: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean; error?: string }> {
  return new Promise((resolve) => {
    let stdout = ''
    let stderr = ''
    let timedOut = false
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env ?? process.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    const timer = setTimeout(() => {
      timedOut = true
      killGroup(child)
    }, opts.timeoutMs)
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)))
    child.on('error', (err) => {
      clearTimeout(timer)
      resolve({ code: null, stdout, stderr, timedOut, error: err.message })
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, timedOut })
    })
  })
}

/** The npm that runs us (npm_execpath under `npm run`), else the one on PATH. */
function npmCommand(): { file: string; pre: string[] } {
  const execPath = process.env.npm_execpath
  if (execPath && /npm-cli\.[cm]?js$/.test(basename(execPath))) return { file: nodeBinary(), pre: [execPath] }
  return { file: 'npm', pre: [] }
}

/** A crude cross-process lock (mkdir is atomic) so two benches do not npm install into one directory at once. */
async function withLock<T>(dir: string, timeoutMs: number, body: () => Promise<T>): Promise<T> {
  const lock = `${dir}.lock`
  const until = Date.now() + timeoutMs
  for (;;) {
    try {
      await mkdir(lock)
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const age = Date.now() - (await stat(lock).then((s) => s.mtimeMs, () => Date.now()))
      if (age > INSTALL_TIMEOUT_MS + 60_000) await rm(lock, { recursive: true, force: true })
      else if (Date.now() > until) throw new Error(`another Helia install holds ${lock}`)
      else await new Promise((r) => setTimeout(r, 1000))
    }
  }
  try {
    return await body()
  } finally {
    await rm(lock, { recursive: true, force: true })
  }
}

/** Installs HELIA_DEPENDENCIES into the cache directory unless already there; returns the directory. */
async function ensureHelia(log: (line: string) => void): Promise<string> {
  const dir = heliaCacheDir()
  const manifest = `${JSON.stringify(
    {
      name: 'borg-bench-helia',
      private: true,
      type: 'module',
      description: 'Installed on demand by borg scripts/lib/helia-baseline.ts (the Helia baseline of npm run bench:storage); safe to delete.',
      dependencies: HELIA_DEPENDENCIES,
    },
    null,
    2,
  )}\n`
  const stamp = join(dir, '.borg-installed')
  const current = async () => existsSync(join(dir, 'node_modules')) && (await readFile(stamp, 'utf8').catch(() => '')) === manifest
  if (await current()) return dir
  await mkdir(dir, { recursive: true })
  await withLock(dir, INSTALL_TIMEOUT_MS, async () => {
    if (await current()) return
    await rm(stamp, { force: true })
    await writeFile(join(dir, 'package.json'), manifest)
    log(`helia: installing ${Object.entries(HELIA_DEPENDENCIES).map(([n, v]) => `${n}@${v}`).join(' ')} into ${dir}`)
    const started = performance.now()
    const npm = npmCommand()
    const env = { ...process.env }
    // Under `npm run` these point at the repo; the install is about the cache directory only.
    for (const key of ['npm_config_local_prefix', 'npm_config_global', 'npm_config_location', 'npm_config_workspace', 'npm_config_workspaces', 'npm_config_engine_strict', 'npm_config_ignore_scripts', 'npm_config_omit', 'npm_config_production'])
      delete env[key]
    const args = [...npm.pre, 'install', '--prefix', dir, '--no-audit', '--no-fund', '--ignore-scripts', '--engine-strict', '--omit=dev', '--no-update-notifier', '--loglevel=error']
    const result = await run(npm.file, args, { cwd: dir, env, timeoutMs: INSTALL_TIMEOUT_MS })
    if (result.timedOut) throw new Error(`npm install of Helia into ${dir} timed out after ${INSTALL_TIMEOUT_MS / 60_000} min`)
    if (result.code !== 0) {
      const errors = result.stderr
        .split('\n')
        .filter((l) => /^npm (error|ERR!)/.test(l))
        .map((l) => l.replace(/^npm (error|ERR!)\s*/, ''))
        .filter((l) => l && !/^at |A complete log of this run/.test(l))
      throw new Error(`npm install of Helia into ${dir} failed (${result.error ?? `exit ${result.code}`}): ${oneLine(errors.slice(0, 5).join(' ') || result.stderr.slice(-400), 300)}`)
    }
    await writeFile(stamp, manifest)
    log(`helia: installed in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  })
  return dir
}

async function installedVersion(dir: string): Promise<string> {
  const of = async (name: string) => ((JSON.parse(await readFile(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version)
  const names = ['@helia/utils', '@helia/bitswap', '@helia/unixfs', 'libp2p']
  return (await Promise.all(names.map(async (n) => `${n}@${await of(n)}`))).join(' ')
}

async function fileSha(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const piece of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(piece as Buffer)
  return hash.digest('hex')
}

/** One runner process (under /usr/bin/time when present): its first stdout line as JSON, then its exit and peak RSS. */
class Runner {
  private readonly child: ChildProcess
  private stdout = ''
  private stderr = ''
  private readonly exited: Promise<number | null>
  private spawnError?: string

  constructor(dir: string, args: string[], timed: boolean) {
    const node = nodeBinary()
    const script = join(dir, 'helia-runner.mjs')
    const [file, argv] = timed ? [TIME, ['-f', `${PEAK}%M`, node, script, ...args]] : [node, [script, ...args]]
    this.child = spawn(file, argv, { cwd: dir, detached: true, stdio: ['pipe', 'pipe', 'pipe'] })
    this.child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()))
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-20_000)))
    this.child.stdin!.on('error', () => {})
    this.exited = new Promise((resolve) => {
      this.child.on('error', (err) => {
        this.spawnError = err.message
        resolve(null)
      })
      this.child.on('close', (code) => resolve(code))
    })
  }

  /** What went wrong, from the runner's stderr, for a reason line. */
  problem(): string {
    if (this.spawnError) return this.spawnError
    const lines = this.stderr.split('\n').filter((l) => l.trim() && !l.startsWith(PEAK))
    const failed = lines.findIndex((l) => l.includes('failed:'))
    return oneLine((failed >= 0 ? lines.slice(failed, failed + 2) : lines.slice(-2)).join(' ') || 'no output', 300)
  }

  /** Resolves with the first stdout line as JSON; rejects when the process ends first or the time is up. */
  async firstLine<T>(what: string, timeoutMs: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const line = new Promise<string>((resolve, reject) => {
      const check = () => {
        const end = this.stdout.indexOf('\n')
        if (end >= 0) resolve(this.stdout.slice(0, end))
      }
      this.child.stdout!.on('data', check)
      check()
      void this.exited.then((code) => {
        check()
        reject(new Error(`${what} ended (${this.spawnError ?? `exit ${code}`}) without a result: ${this.problem()}`))
      })
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${(timeoutMs / 1000).toFixed(0)} s`)), timeoutMs)
    })
    try {
      return JSON.parse(await line) as T
    } finally {
      clearTimeout(timer)
    }
  }

  /** Closes stdin (the runner's signal to stop) and waits for the exit, killing it after timeoutMs. */
  async finish(timeoutMs: number): Promise<{ code: number | null; peakKb?: number }> {
    this.child.stdin!.end()
    const timer = setTimeout(() => killGroup(this.child), timeoutMs)
    const code = await this.exited
    clearTimeout(timer)
    const peak = new RegExp(`${PEAK}(\\d+)`).exec(this.stderr)
    return { code, peakKb: peak ? Number(peak[1]) : undefined }
  }

  /** Kills the process group if still running and waits (up to 5 s) for it to be gone. */
  async kill(): Promise<void> {
    killGroup(this.child)
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 5000))])
  }
}

export async function heliaBaseline(file: string, log: (line: string) => void): Promise<{ ok: true; version: string; putMBps: number; getMBps: number; putMs: number; getMs: number; bytes: number; peakRssKb?: number } | { ok: false; reason: string }> {
  const runners: Runner[] = []
  let work: string | undefined
  try {
    const size = (await stat(file)).size
    let dir: string
    try {
      dir = await ensureHelia(log)
    } catch (err) {
      return { ok: false, reason: errorText(err) }
    }
    await copyFile(RUNNER, join(dir, 'helia-runner.mjs'))
    const version = await installedVersion(dir)
    const timed = existsSync(TIME)
    const sha = await fileSha(file)
    work = await mkdtemp(join(tmpdir(), 'borg-helia-'))
    const phaseMs = phaseTimeoutMs(size)

    const a = new Runner(dir, ['put', file, join(work, 'a')], timed)
    runners.push(a)
    const added = await a.firstLine<{ cid: string; addrs: string[]; putMs: number; bytes: number }>('Helia node A (put)', phaseMs)
    const addr = added.addrs.find((x) => x.startsWith('/ip4/127.0.0.1/tcp/')) ?? added.addrs[0]
    if (!addr) return { ok: false, reason: 'Helia node A reported no listen address' }
    log(`helia: put ${(size / MB).toFixed(1)} MB in ${added.putMs.toFixed(0)} ms as ${added.cid}`)

    const b = new Runner(dir, ['get', added.cid, addr, join(work, 'b')], timed)
    runners.push(b)
    const got = await b.firstLine<{ getMs: number; bytes: number; sha256: string }>('Helia node B (get)', phaseMs)
    const bEnd = await b.finish(60_000)
    const aEnd = await a.finish(60_000)
    if (added.bytes !== size || got.bytes !== size) return { ok: false, reason: `Helia moved ${added.bytes} B in and ${got.bytes} B out of a ${size} B file` }
    if (got.sha256 !== sha) return { ok: false, reason: `Helia node B got other bytes (SHA-256 ${got.sha256}, file ${sha})` }
    const peaks = [aEnd.peakKb, bEnd.peakKb].filter((k): k is number => k !== undefined)
    const peakRssKb = peaks.length ? Math.max(...peaks) : undefined
    const result = {
      ok: true as const,
      version,
      putMBps: size / MB / (added.putMs / 1000),
      getMBps: size / MB / (got.getMs / 1000),
      putMs: added.putMs,
      getMs: got.getMs,
      bytes: size,
      ...(peakRssKb === undefined ? {} : { peakRssKb }),
    }
    log(
      `helia: get ${(size / MB).toFixed(1)} MB in ${got.getMs.toFixed(0)} ms; put ${result.putMBps.toFixed(1)} MB/s, get ${result.getMBps.toFixed(1)} MB/s` +
        (timed ? `; peak RSS node A ${aEnd.peakKb ?? '?'} kB, node B ${bEnd.peakKb ?? '?'} kB` : ''),
    )
    return result
  } catch (err) {
    return { ok: false, reason: `Helia baseline: ${errorText(err)}` }
  } finally {
    await Promise.all(runners.map((r) => r.kill()))
    if (work) await rm(work, { recursive: true, force: true }).catch(() => {})
  }
}
