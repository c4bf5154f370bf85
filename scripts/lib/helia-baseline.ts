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
 * unchanged. The runner is copied there so its imports resolve against that node_modules
 * (the install and the process handling are scripts/lib/baseline-kit.ts, shared with the
 * Hyperdrive baseline). Nothing here throws: any failure, timeout included, is `{ ok: false, reason }`.
 */
import { join } from 'node:path'
import { baselineCacheDir, fileSha, MB, runBaseline, type BaselineSystem } from './baseline-kit.js'

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

const HELIA: BaselineSystem = {
  id: 'helia',
  label: 'Helia',
  dependencies: HELIA_DEPENDENCIES,
  runner: 'helia-runner.mjs',
  versionOf: ['@helia/utils', '@helia/bitswap', '@helia/unixfs', 'libp2p'],
}

export function heliaCacheDir(): string {
  return baselineCacheDir(HELIA)
}

export function heliaBaseline(file: string, log: (line: string) => void): Promise<HeliaBaselineResult> {
  return runBaseline(HELIA, file, log, async ({ version, timed, size, work, phaseMs, start }): Promise<HeliaBaselineResult> => {
    const sha = await fileSha(file)
    const a = start(['put', file, join(work, 'a')])
    const added = await a.line<{ cid: string; addrs: string[]; putMs: number; bytes: number }>(0, 'Helia node A (put)', phaseMs)
    const addr = added.addrs.find((x) => x.startsWith('/ip4/127.0.0.1/tcp/')) ?? added.addrs[0]
    if (!addr) return { ok: false, reason: 'Helia node A reported no listen address' }
    log(`helia: put ${(size / MB).toFixed(1)} MB in ${added.putMs.toFixed(0)} ms as ${added.cid}`)

    const b = start(['get', added.cid, addr, join(work, 'b')])
    const got = await b.line<{ getMs: number; bytes: number; sha256: string }>(0, 'Helia node B (get)', phaseMs)
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
  })
}
