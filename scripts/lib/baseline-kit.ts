/**
 * What the peer-system baselines of `npm run bench:storage` (scripts/lib/helia-baseline.ts,
 * scripts/lib/hyperdrive-baseline.ts) have in common: install the system's pinned packages on
 * first use into ${XDG_CACHE_HOME:-~/.cache}/borg-bench/<id> (its own package.json, reused while
 * the dependency list is unchanged), copy the runner script there so its imports resolve against
 * that node_modules, and run it as child processes (under /usr/bin/time for peak RSS when it
 * exists) that report one JSON line per step on stdout. Each baseline keeps only its dependency
 * list and its measurement flow (`runBaseline`'s callback). Nothing here throws out of
 * `runBaseline`: any failure, timeout included, is `{ ok: false, reason }`.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream, existsSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** One peer system. `id` names the cache directory, package, log prefix, temp directories and peak marker. */
export interface BaselineSystem {
  /** Lower case, e.g. 'helia': borg-bench/helia, borg-bench-helia, `helia: …` log lines, HELIA_PEAK_KB=. */
  readonly id: string
  /** For messages, e.g. 'Helia'. */
  readonly label: string
  /** Exact versions; a change of this list (hence of the manifest) triggers a reinstall. */
  readonly dependencies: Readonly<Record<string, string>>
  /** The runner script, a sibling of this file, copied into the cache directory. */
  readonly runner: string
  /** The installed packages whose versions make up the result's `version`. */
  readonly versionOf: readonly string[]
}

export type BaselineFailure = { ok: false; reason: string }

export const MB = 1e6
const INSTALL_TIMEOUT_MS = 15 * 60_000
/** Per phase (put, get): two minutes plus one second per MB, i.e. it fails below ~1 MB/s. */
const phaseTimeoutMs = (bytes: number) => 120_000 + (bytes / MB) * 1000
const TIME = '/usr/bin/time'

export function baselineCacheDir(system: BaselineSystem): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'borg-bench', system.id)
}

const peakMarker = (system: BaselineSystem) => `${system.id.toUpperCase()}_PEAK_KB=`

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

/** Runs a command in its own process group; resolves with its stderr (all npm's errors say), never rejects. */
function run(file: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<{ code: number | null; stderr: string; timedOut: boolean; error?: string }> {
  return new Promise((resolve) => {
    let stderr = ''
    let timedOut = false
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', 'ignore', 'pipe'] })
    const timer = setTimeout(() => {
      timedOut = true
      killGroup(child)
    }, opts.timeoutMs)
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)))
    child.on('error', (err) => {
      clearTimeout(timer)
      resolve({ code: null, stderr, timedOut, error: err.message })
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stderr, timedOut })
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
async function withLock<T>(dir: string, label: string, timeoutMs: number, body: () => Promise<T>): Promise<T> {
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
      else if (Date.now() > until) throw new Error(`another ${label} install holds ${lock}`)
      else await new Promise((r) => setTimeout(r, 1000))
    }
  }
  try {
    return await body()
  } finally {
    await rm(lock, { recursive: true, force: true })
  }
}

/** Installs the system's dependencies into its cache directory unless already there; returns the directory. */
async function ensureInstalled(system: BaselineSystem, log: (line: string) => void): Promise<string> {
  const { id, label, dependencies } = system
  const dir = baselineCacheDir(system)
  // The stamp holds this text: any change to it (name, description, list) means a reinstall, so keep it stable.
  const manifest = `${JSON.stringify(
    {
      name: `borg-bench-${id}`,
      private: true,
      type: 'module',
      description: `Installed on demand by borg scripts/lib/${id}-baseline.ts (the ${label} baseline of npm run bench:storage); safe to delete.`,
      dependencies,
    },
    null,
    2,
  )}\n`
  const stamp = join(dir, '.borg-installed')
  const current = async () => existsSync(join(dir, 'node_modules')) && (await readFile(stamp, 'utf8').catch(() => '')) === manifest
  if (await current()) return dir
  await mkdir(dir, { recursive: true })
  await withLock(dir, label, INSTALL_TIMEOUT_MS, async () => {
    if (await current()) return
    await rm(stamp, { force: true })
    await writeFile(join(dir, 'package.json'), manifest)
    log(`${id}: installing ${Object.entries(dependencies).map(([n, v]) => `${n}@${v}`).join(' ')} into ${dir}`)
    const started = performance.now()
    const npm = npmCommand()
    const env = { ...process.env }
    // Under `npm run` these point at the repo; the install is about the cache directory only.
    for (const key of ['npm_config_local_prefix', 'npm_config_global', 'npm_config_location', 'npm_config_workspace', 'npm_config_workspaces', 'npm_config_engine_strict', 'npm_config_ignore_scripts', 'npm_config_omit', 'npm_config_production'])
      delete env[key]
    // --engine-strict: a transitive release that excludes this Node fails the install rather than the run.
    // --ignore-scripts: no package of either tree needs an install script (native addons ship prebuilds).
    const args = [...npm.pre, 'install', '--prefix', dir, '--no-audit', '--no-fund', '--ignore-scripts', '--engine-strict', '--omit=dev', '--no-update-notifier', '--loglevel=error']
    const result = await run(npm.file, args, { cwd: dir, env, timeoutMs: INSTALL_TIMEOUT_MS })
    if (result.timedOut) throw new Error(`npm install of ${label} into ${dir} timed out after ${INSTALL_TIMEOUT_MS / 60_000} min`)
    if (result.code !== 0) {
      const errors = result.stderr
        .split('\n')
        .filter((l) => /^npm (error|ERR!)/.test(l))
        .map((l) => l.replace(/^npm (error|ERR!)\s*/, ''))
        .filter((l) => l && !/^at |A complete log of this run/.test(l))
      throw new Error(`npm install of ${label} into ${dir} failed (${result.error ?? `exit ${result.code}`}): ${oneLine(errors.slice(0, 5).join(' ') || result.stderr.slice(-400), 300)}`)
    }
    await writeFile(stamp, manifest)
    log(`${id}: installed in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  })
  return dir
}

async function installedVersion(dir: string, names: readonly string[]): Promise<string> {
  const of = async (name: string) => ((JSON.parse(await readFile(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version)
  return (await Promise.all(names.map(async (n) => `${n}@${await of(n)}`))).join(' ')
}

export async function fileSha(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const piece of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(piece as Buffer)
  return hash.digest('hex')
}

/** One runner process (under /usr/bin/time when present): its stdout lines as JSON, then its exit and peak RSS. */
export class Runner {
  private readonly child: ChildProcess
  private readonly peak: string
  private stdout = ''
  private stderr = ''
  private readonly exited: Promise<number | null>
  private spawnError?: string

  constructor(system: BaselineSystem, dir: string, args: string[], timed: boolean) {
    this.peak = peakMarker(system)
    const node = nodeBinary()
    const script = join(dir, system.runner)
    const [file, argv] = timed ? [TIME, ['-f', `${this.peak}%M`, node, script, ...args]] : [node, [script, ...args]]
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
    const lines = this.stderr.split('\n').filter((l) => l.trim() && !l.startsWith(this.peak))
    const failed = lines.findIndex((l) => l.includes('failed:'))
    return oneLine((failed >= 0 ? lines.slice(failed, failed + 2) : lines.slice(-2)).join(' ') || 'no output', 300)
  }

  /** Resolves with stdout line `index` (0-based) as JSON; rejects when the process ends first or the time is up. */
  async line<T>(index: number, what: string, timeoutMs: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    let check = () => {}
    const line = new Promise<string>((resolve, reject) => {
      check = () => {
        const lines = this.stdout.split('\n')
        if (lines.length > index + 1) resolve(lines[index]!)
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
      this.child.stdout!.off('data', check)
    }
  }

  /** Closes stdin (the runner's signal to stop). */
  stop(): void {
    if (!this.child.stdin!.writableEnded) this.child.stdin!.end()
  }

  /** Stops it, waits for the exit (killing it after timeoutMs) and reads the peak RSS /usr/bin/time printed. */
  async finish(timeoutMs: number): Promise<{ code: number | null; peakKb?: number }> {
    this.stop()
    const timer = setTimeout(() => killGroup(this.child), timeoutMs)
    const code = await this.exited
    clearTimeout(timer)
    const peak = new RegExp(`${this.peak}(\\d+)`).exec(this.stderr)
    return { code, peakKb: peak ? Number(peak[1]) : undefined }
  }

  /** Kills the process group if still running and waits (up to 5 s) for it to be gone. */
  async kill(): Promise<void> {
    killGroup(this.child)
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 5000))])
  }
}

/** What a baseline's measurement gets: the installed system, the file's size, a scratch directory and its runners. */
export interface BaselineRun {
  /** The cache directory, with node_modules and the runner script. */
  readonly dir: string
  /** `name@version …` of the system's `versionOf` packages. */
  readonly version: string
  /** Whether runners run under /usr/bin/time (finish() then has a peakKb). */
  readonly timed: boolean
  readonly size: number
  /** A fresh temporary directory, removed at the end. */
  readonly work: string
  /** The time one phase (put, get) may take for this size. */
  readonly phaseMs: number
  /** Starts a runner with these arguments; it is killed when the baseline ends, however it ends. */
  start(args: string[]): Runner
}

/**
 * Installs the system if needed, then runs `measure` and cleans up (runners killed, scratch
 * directory removed). An install failure is its own reason; anything else thrown becomes
 * `<label> baseline: <error>`.
 */
export async function runBaseline<T>(system: BaselineSystem, file: string, log: (line: string) => void, measure: (run: BaselineRun) => Promise<T>): Promise<T | BaselineFailure> {
  const runners: Runner[] = []
  let work: string | undefined
  try {
    const size = (await stat(file)).size
    let dir: string
    try {
      dir = await ensureInstalled(system, log)
    } catch (err) {
      return { ok: false, reason: errorText(err) }
    }
    await copyFile(fileURLToPath(new URL(`./${system.runner}`, import.meta.url)), join(dir, system.runner))
    const version = await installedVersion(dir, system.versionOf)
    const timed = existsSync(TIME)
    work = await mkdtemp(join(tmpdir(), `borg-${system.id}-`))
    const start = (args: string[]) => {
      const runner = new Runner(system, dir, args, timed)
      runners.push(runner)
      return runner
    }
    return await measure({ dir, version, timed, size, work, phaseMs: phaseTimeoutMs(size), start })
  } catch (err) {
    return { ok: false, reason: `${system.label} baseline: ${errorText(err)}` }
  } finally {
    await Promise.all(runners.map((r) => r.kill()))
    if (work) await rm(work, { recursive: true, force: true }).catch(() => {})
  }
}
