/**
 * A Hyperdrive (Holepunch: Hyperdrive on Corestore/Hypercore) baseline for `npm run bench:storage`,
 * next to the Helia one (scripts/lib/helia-baseline.ts) and built the same way: the same file
 * written into a Hyperdrive by one process and replicated to another over loopback.
 *
 *   put = `drive.createWriteStream` of the file, streamed from disk in 64 KiB pieces (Hyperblobs'
 *         block size), in process A (a local write: like an IPFS add, and unlike `borg shard put`
 *         with 3 replicas, nothing is sent anywhere). It ends when the entry is in the drive.
 *   get = process B opens the drive by A's key, replicates over one plain TCP connection to A on
 *         127.0.0.1 (`store.replicate` piped through the socket on both sides; no Hyperswarm, no
 *         DHT) and reads the file with `drive.createReadStream`, hashing the bytes as they arrive;
 *         they must have the file's SHA-256. The time covers the connection, the replication and
 *         the read.
 * Times cover the operation only (not process start or the store's open); MB = 1e6 B.
 * CPU s/MB per process: put = A's process.cpuUsage() (user + system) when the put ends, get = B's
 * when the get ends (both include the process start and store open, like a whole CLI command),
 * serve = what A used from B's connection until B was done. Peak RSS per process from
 * /usr/bin/time -f %M when it exists, else the runner's own process.resourceUsage().maxRSS.
 * The runner is scripts/lib/hyperdrive-runner.mjs.
 *
 * Hyperdrive is not a dependency of this repo (CI installs everything in package.json). It is
 * installed on first use into ${XDG_CACHE_HOME:-~/.cache}/borg-bench/hyperdrive with its own
 * package.json (HYPERDRIVE_DEPENDENCIES) and reused while that list is unchanged; the runner is
 * copied there so its imports resolve against that node_modules (scripts/lib/baseline-kit.ts,
 * shared with the Helia baseline). Nothing here throws: any failure, timeout included, is
 * `{ ok: false, reason }`.
 */
import { join } from 'node:path'
import { baselineCacheDir, MB, runBaseline, type BaselineSystem } from './baseline-kit.js'

export type HyperdriveBaselineResult =
  | {
      ok: true
      version: string
      putMBps: number
      getMBps: number
      putMs: number
      getMs: number
      bytes: number
      /** CPU seconds per MB: A up to the end of the put, B up to the end of the get, A while serving B. */
      cpuPerMB: { put: number; get: number; serve: number }
      /** Peak RSS of process A (put, then serving) and process B (get). */
      peakRssKb: { a: number; b: number }
    }
  | { ok: false; reason: string }

/**
 * Exact versions: the newest releases (hyperdrive 13.3.4 on corestore 7 / hypercore 11). No package
 * of the installed tree (83 of them) declares a Node engine; the only `engines` are Bare's (for
 * the Bare runtime, which npm does not check), and none has an install script: the native parts
 * (sodium-native, rocksdb-native, fs-native-extensions) ship N-API prebuilds for linux-x64/arm64
 * that load on Node 20. hypercore, hyperbee and hyperblobs are listed too so that the cores being
 * measured do not drift with the ranges in hyperdrive's and corestore's package.json (one
 * hypercore, deduplicated). `npm install --engine-strict` still refuses any later transitive
 * release whose `engines` excludes this Node.
 */
export const HYPERDRIVE_DEPENDENCIES: Readonly<Record<string, string>> = {
  hyperdrive: '13.3.4',
  corestore: '7.12.5',
  hypercore: '11.39.5',
  hyperbee: '2.27.3',
  hyperblobs: '2.12.1',
}

const HYPERDRIVE: BaselineSystem = {
  id: 'hyperdrive',
  label: 'Hyperdrive',
  dependencies: HYPERDRIVE_DEPENDENCIES,
  runner: 'hyperdrive-runner.mjs',
  versionOf: ['hyperdrive', 'corestore', 'hypercore'],
}

export function hyperdriveCacheDir(): string {
  return baselineCacheDir(HYPERDRIVE)
}

interface Put { key: string; port: number; putMs: number; bytes: number; cpuMs: number; opCpuMs: number; maxRssKb: number }
interface Served { serveCpuMs: number; maxRssKb: number }
interface Got { getMs: number; bytes: number; sha256: string; cpuMs: number; opCpuMs: number; maxRssKb: number }

/** Puts `file` (whose SHA-256 is `sha256`, hex) into a Hyperdrive in one process and gets it in another; see the top of this file. */
export function hyperdriveBaseline(file: string, sha256: string, log: (line: string) => void): Promise<HyperdriveBaselineResult> {
  return runBaseline(HYPERDRIVE, file, log, async ({ version, timed, size, work, phaseMs, start }): Promise<HyperdriveBaselineResult> => {
    const a = start(['put', file, join(work, 'a')])
    const put = await a.line<Put>(0, 'Hyperdrive process A (put)', phaseMs)
    log(`hyperdrive: put ${(size / MB).toFixed(1)} MB in ${put.putMs.toFixed(0)} ms into drive ${put.key.slice(0, 16)}…`)

    const b = start(['get', put.key, String(put.port), join(work, 'b')])
    const got = await b.line<Got>(0, 'Hyperdrive process B (get)', phaseMs)
    const bEnd = await b.finish(60_000)
    a.stop()
    const served = await a.line<Served>(1, 'Hyperdrive process A (serving)', 60_000)
    const aEnd = await a.finish(60_000)
    if (put.bytes !== size || got.bytes !== size) return { ok: false, reason: `Hyperdrive moved ${put.bytes} B in and ${got.bytes} B out of a ${size} B file` }
    if (got.sha256 !== sha256) return { ok: false, reason: `Hyperdrive process B got other bytes (SHA-256 ${got.sha256}, file ${sha256})` }
    const mb = size / MB
    const result = {
      ok: true as const,
      version,
      putMBps: mb / (put.putMs / 1000),
      getMBps: mb / (got.getMs / 1000),
      putMs: put.putMs,
      getMs: got.getMs,
      bytes: size,
      cpuPerMB: { put: put.cpuMs / 1000 / mb, get: got.cpuMs / 1000 / mb, serve: served.serveCpuMs / 1000 / mb },
      peakRssKb: { a: aEnd.peakKb ?? served.maxRssKb, b: bEnd.peakKb ?? got.maxRssKb },
    }
    const perMB = (ms: number) => (ms / 1000 / mb).toFixed(4)
    log(
      `hyperdrive: get ${mb.toFixed(1)} MB in ${got.getMs.toFixed(0)} ms; put ${result.putMBps.toFixed(1)} MB/s, get ${result.getMBps.toFixed(1)} MB/s; ` +
        `CPU s/MB put ${perMB(put.cpuMs)} (the put alone ${perMB(put.opCpuMs)}), get ${perMB(got.cpuMs)} (alone ${perMB(got.opCpuMs)}), serving ${perMB(served.serveCpuMs)}; ` +
        `peak RSS A ${result.peakRssKb.a} kB, B ${result.peakRssKb.b} kB${timed ? '' : ' (maxRSS, no /usr/bin/time)'}`,
    )
    return result
  })
}
