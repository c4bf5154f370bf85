/**
 * How a file manager learns what to repair, in-process (organism nodes over
 * real HTTPS on 127.0.0.1; audits, scrubs and watches run only when the test
 * calls them):
 *
 * - its shard member list is older than a newcomer that holds a chunk's last
 *   copy: the audit finds that copy (looks at the tree again before calling a
 *   chunk lost) and makes the others up, instead of reporting "no live copy";
 * - two nodes stop: once the trees have dropped them, a look at the trees
 *   (`watch`) audits the files their shard cells held, and every chunk is back
 *   at 3 copies without any read; the manifests their file managers kept get
 *   new copies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { HttpsTransport } from '../../src/core/net/https-transport.js'
import { silentLogger } from '../../src/core/log.js'
import { bytesToHex } from '../../src/core/bytes.js'
import { ownerIndexKey, rankHolders } from '../../src/core/storage/placement.js'
import type { OrganismNode } from '../../src/core/node/organism-node.js'
import { testSigner } from '../helpers/keys.js'
import { clientAt, managerOf, organismNodes, storageOf } from '../helpers/organism-nodes.js'
import { checkStorage, type StoredFile } from '../checkers/storage.js'

const organism = organismNodes('borg-heal-departures-')
const { nodes, start } = organism
const owner = testSigner('secp256k1')
const transport = new HttpsTransport({ log: silentLogger, signer: owner })
const CHUNK = 16 * 1024

async function* once(bytes: Uint8Array) {
  yield bytes
}

const live = () => nodes.filter((n) => n.cells.every((c) => c.tree.state !== 'stopped'))
const shardTree = (n: OrganismNode) => n.cells.find((c) => c.name === 'shard')!.tree
const top3 = (hash: string) => rankHolders(hash, live().map((n) => n.nodeId)).slice(0, 3)
const copiesOf = async (hash: string) => (await Promise.all(live().map((n) => storageOf(n).chunks.has(hash)))).filter(Boolean).length

/** The storage invariants (test/checkers/storage.ts) over the live nodes. */
async function storageViolations(files: StoredFile[]): Promise<string[]> {
  const nodesNow = live()
  const chunkHolders = new Map<string, string[]>()
  const manifestKeepers = new Map<string, string[]>()
  for (const file of files) {
    for (const hash of file.chunks) chunkHolders.set(hash, (await Promise.all(nodesNow.map(async (n) => ((await storageOf(n).chunks.has(hash)) ? [n.nodeId] : [])))).flat())
    manifestKeepers.set(file.id, nodesNow.filter((n) => managerOf(n).manifests.ownerOf(file.id) !== undefined).map((n) => n.nodeId))
  }
  const ids = nodesNow.map((n) => n.nodeId)
  return checkStorage({ files, shardCells: ids, fileManagers: ids, chunkHolders, manifestKeepers })
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

const treesOfSize = (size: number) => () => live().every((n) => n.cells.every((c) => c.tree.status().treeSize === size))

/** The file manager that keeps every manifest of this owner (first of the owner index's ranking). */
let steward: OrganismNode

beforeAll(async () => {
  process.env.BORG_FILES_AUDIT_MS = '3600000'
  process.env.BORG_SHARD_ROUND_MS = '3600000'
  process.env.BORG_FILES_WATCH_MS = '3600000'
  // Clear of the other in-process tests (10000+, 11100+, 14000+, 15000+, 17500+).
  const first = await start([])
  for (let i = 1; i < 6; i++) await start([first.cells[0]!.endpoints.net])
  await until('six-node trees', treesOfSize(6))
  steward = nodes.find((n) => n.nodeId === rankHolders(ownerIndexKey(bytesToHex(owner.keyId)), nodes.map((x) => x.nodeId))[0])!
}, 40_000)

afterAll(async () => {
  await transport.close()
  await organism.stopAll()
})

describe('a file manager', () => {
  it('finds a chunk\u2019s last copy on a shard cell that joined after its member list was fetched', async () => {
    // The steward's view of the shard tree, taken now (an audit fetches it).
    const warm = await clientAt(nodes[0]!, transport).put(once(randomBytes(CHUNK)), { owner, chunkSize: CHUNK })
    await managerOf(steward).steward.auditId(warm.manifest.id)
    const newcomer = await start([nodes[0]!.cells[0]!.endpoints.net])
    await until('seven-node trees', treesOfSize(7))
    // A client with fresh lists places chunks on the newcomer too.
    const put = await clientAt(nodes[1]!, transport).put(once(randomBytes(24 * CHUNK)), { owner, chunkSize: CHUNK })
    const hash = put.manifest.chunks.find((h) => top3(h).includes(newcomer.nodeId) && !top3(h).includes(steward.nodeId))
    expect(hash, 'a chunk held by the newcomer and two others').toBeDefined()
    const others = nodes.filter((n) => n !== newcomer && top3(hash!).includes(n.nodeId))
    await Promise.all(others.map((n) => n.stop()))
    expect(await copiesOf(hash!)).toBe(1)
    const result = await managerOf(steward).steward.auditId(put.manifest.id)
    expect(result?.fewest).toBeGreaterThanOrEqual(1)
    expect(await copiesOf(hash!)).toBe(3)
  }, 60_000)

  it('audits what departed shard cells held as soon as it sees them gone, without a read', async () => {
    const organ = managerOf(steward).steward
    await until('the shard tree to drop the cells stopped before', () => live().some((n) => shardTree(n).state === 'root' && shardTree(n).status().treeSize === live().length))
    const put = await clientAt(steward, transport).put(once(randomBytes(12 * CHUNK)), { owner, chunkSize: CHUNK })
    await until('the steward to hold the current list', async () => (await organ.watch(), managerOf(steward).shardCells.size === live().length))
    const seen = organ.counters.shardDepartures
    const seenManagers = organ.counters.fileManagerDepartures
    const victims = live()
      .filter((n) => n !== steward && top3(put.manifest.chunks[0]!).includes(n.nodeId))
      .slice(0, 2)
    const remaining = live().length - 2
    await Promise.all(victims.map((n) => n.stop()))
    await until('the shard tree to drop them', () => live().some((n) => shardTree(n).state === 'root' && shardTree(n).status().treeSize === remaining))
    // One look at the tree once the steward's own shard cell has heard of the repair (a heartbeat or two).
    await until('the steward to see the departures', async () => (await organ.watch(), organ.counters.shardDepartures >= seen + 2 && organ.counters.fileManagerDepartures >= seenManagers + 2))
    expect(organ.counters.departureAudits).toBeGreaterThanOrEqual(1)
    // Every chunk at 3 copies again; the victims were file managers too: the manifest is kept by 3 again (3 live: all of them).
    expect(await storageViolations([{ id: put.manifest.id, chunks: put.manifest.chunks, replicas: 3 }])).toEqual([])
  }, 60_000)
})
