/**
 * Storage on five organism nodes in one process over real HTTPS: put, get
 * from another entry, placement and copies, a dead holder, owner-only
 * removal, encryption, the empty file and bad ids. (Real processes with
 * kill -9 are in test/e2e/.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFile, writeFile } from 'node:fs/promises'
import { randomBytes, createHash } from 'node:crypto'
import { join } from 'node:path'
import { OrganismNode } from '../../src/core/node/organism-node.js'
import type { StorageClient } from '../../src/client/storage-client.js'
import { serveFile } from '../../src/client/range-server.js'
import { fileKeysFromIdentity } from '../../src/core/storage/file-crypto.js'
import { bytesToHex } from '../../src/core/bytes.js'
import { signRemoval } from '../../src/core/storage/removal.js'
import { loadOrCreateNodeKey } from '../../src/core/identity/node-key.js'
import { nodeSigner } from '../../src/core/identity/signer.js'
import { cryptoRandom } from '../../src/core/crypto/random.js'
import { startClient } from '../helpers/wire.js'
import { HttpsTransport } from '../../src/core/net/https-transport.js'
import { silentLogger } from '../../src/core/log.js'
import { testSigner } from '../helpers/keys.js'
import { clientAt, managerOf, organismNodes, storageOf } from '../helpers/organism-nodes.js'
import { waitUntil } from '../helpers/wait-until.js'
import { request } from '../../src/core/messaging/requests.js'
import { BodyType } from '../../src/core/wire/message.js'
import { SHARD_KIND } from '../../src/cells/shard/messages.js'

const organism = organismNodes('borg-store-')
const { nodes, start } = organism
afterAll(() => organism.stopAll())

async function* once(bytes: Uint8Array) {
  // Uneven pieces, as a pipe delivers them.
  for (let i = 0; i < bytes.length; i += 100_000) yield bytes.subarray(i, i + 100_000)
}

const CHUNK = 256 * 1024
// The owner's identity signs the manifests and removals.
const owner = testSigner('secp256k1')
const ownerTransport = new HttpsTransport({ log: silentLogger, signer: owner })
let entries: OrganismNode[] = []

function client(entry: OrganismNode, transport = ownerTransport) {
  return clientAt(entry, transport)
}

async function getAll(c: StorageClient, id: string, keys?: ReturnType<typeof fileKeysFromIdentity>) {
  const parts: Uint8Array[] = []
  const result = await c.get(id, (b) => void parts.push(Uint8Array.from(b)), { keys })
  return { bytes: Buffer.concat(parts), result }
}

// A chunk no file vouches for lapses after this long. The tests that need it to lapse wait for
// that to be seen (a chunk stored later than theirs is collected); nothing else depends on it.
const GRACE_MS = 5_000

beforeAll(async () => {
  // Audits and keeper rounds run when the tests say so.
  process.env.BORG_FILES_AUDIT_MS = '3600000'
  process.env.BORG_SHARD_ROUND_MS = '3600000'
  process.env.BORG_SHARD_GRACE_MS = String(GRACE_MS)
  const first = await start([])
  for (let i = 1; i < 5; i++) await start([first.cells[0]!.endpoints.net])
  await organism.formed(5)
  entries = nodes
}, 90_000)

describe('storage on five nodes', () => {
  const data = randomBytes(3 * CHUNK + 12_345)
  let id = ''

  it('puts a file in chunks, three copies each, and gets it back bit-identical through another node', async () => {
    const put = await client(entries[0]!).put(once(data), { owner: owner, replicas: 3, chunkSize: CHUNK, name: 'data.bin', mime: 'application/octet-stream' })
    id = put.manifest.id
    expect(put.manifest.chunks).toHaveLength(4)
    expect(put.manifest.sha256).toBe(createHash('sha256').update(data).digest('hex'))
    expect([put.replicas, put.fewestCopies, put.capped]).toEqual([3, 3, false])
    expect(put.manifestCopies).toBeGreaterThanOrEqual(3)
    const { bytes } = await getAll(client(entries[3]!), id)
    expect(bytes.equals(data)).toBe(true)
    const holders = await client(entries[1]!).holders(put.manifest)
    expect(holders.map((h) => h.length)).toEqual([3, 3, 3, 3])
    // The same bytes, put again by the same owner: the same id.
    const again = await client(entries[2]!).put(once(data), { owner: owner, replicas: 3, chunkSize: CHUNK, name: 'data.bin', mime: 'application/octet-stream' })
    expect(again.manifest.id).toBe(id)
    expect(await client(entries[4]!).list(bytesToHex(owner.keyId))).toContain(id)
  }, 30_000)

  it('with pull replication, sends each chunk once and has the other holders pull it: the same copies, the same file', async () => {
    const bytes = randomBytes(3 * CHUNK + 777)
    const fetchedBefore = nodes.reduce((sum, n) => sum + (storageOf(n).status().chunksFetched as number), 0)
    const putsBefore = nodes.reduce((sum, n) => sum + (storageOf(n).status().chunkPuts as number), 0)
    const put = await client(entries[1]!).put(once(bytes), { owner, replicas: 3, chunkSize: CHUNK, replication: 'pull' })
    expect([put.replicas, put.fewestCopies]).toEqual([3, 3])
    // One upload per chunk from the client; two pulls per chunk between holders.
    const puts = nodes.reduce((sum, n) => sum + (storageOf(n).status().chunkPuts as number), 0) - putsBefore
    const fetched = nodes.reduce((sum, n) => sum + (storageOf(n).status().chunksFetched as number), 0) - fetchedBefore
    expect([puts, fetched]).toEqual([4, 8])
    expect((await client(entries[1]!).holders(put.manifest)).map((h) => h.length)).toEqual([3, 3, 3, 3])
    expect((await getAll(client(entries[4]!), put.manifest.id)).bytes.equals(bytes)).toBe(true)
  }, 30_000)

  it('caps replicas at the network size and says so', async () => {
    const put = await client(entries[0]!).put(once(randomBytes(1000)), { owner: owner, replicas: 7, chunkSize: CHUNK })
    expect([put.replicas, put.capped, put.fewestCopies]).toEqual([5, true, 5])
  })

  it('stores and returns the empty file', async () => {
    const put = await client(entries[1]!).put(once(new Uint8Array(0)), { owner: owner, chunkSize: CHUNK })
    expect(put.manifest.chunks).toEqual([])
    const { bytes } = await getAll(client(entries[2]!), put.manifest.id)
    expect(bytes.length).toBe(0)
  })

  it('serves a stored file over HTTP with Range (fStream): whole, across chunk edges, suffix, HEAD, 416', async () => {
    const put = await client(entries[0]!).put(once(data), { owner, chunkSize: CHUNK, mime: 'video/mp4' })
    const c = client(entries[4]!)
    const { server, url } = await serveFile(c, await c.manifest(put.manifest.id))
    try {
      const whole = await fetch(url)
      expect([whole.status, whole.headers.get('content-type'), whole.headers.get('accept-ranges')]).toEqual([200, 'video/mp4', 'bytes'])
      expect(Buffer.from(await whole.arrayBuffer()).equals(data)).toBe(true)
      const from = CHUNK - 10
      const to = 2 * CHUNK + 5 // spans three chunks
      const part = await fetch(url, { headers: { range: `bytes=${from}-${to}` } })
      expect([part.status, part.headers.get('content-range')]).toEqual([206, `bytes ${from}-${to}/${data.length}`])
      expect(Buffer.from(await part.arrayBuffer()).equals(data.subarray(from, to + 1))).toBe(true)
      const tail = await fetch(url, { headers: { range: 'bytes=-100' } })
      expect(Buffer.from(await tail.arrayBuffer()).equals(data.subarray(data.length - 100))).toBe(true)
      const head = await fetch(url, { method: 'HEAD' })
      expect(head.headers.get('content-length')).toBe(String(data.length))
      expect((await fetch(url, { headers: { range: `bytes=${data.length}-` } })).status).toBe(416)
    } finally {
      server.close()
    }
  }, 30_000)

  it('refuses unknown and path-like ids clearly', async () => {
    await expect(client(entries[0]!).get('f'.repeat(64), () => {})).rejects.toMatchObject({ code: 'not-found' })
    await expect(client(entries[0]!).get('../../etc/passwd', () => {})).rejects.toMatchObject({ code: 'invalid-input' })
  })

  it('encrypts for the owner: holders keep ciphertext, the owner reads it back with a restored identity', async () => {
    const secret = Buffer.from('the plans are in the usual place. '.repeat(20_000))
    const identity = owner.secretKey
    const keys = fileKeysFromIdentity(identity)
    const plaintextSha256 = new Uint8Array(createHash('sha256').update(secret).digest())
    const put = await client(entries[0]!).put(once(secret), { owner: owner, chunkSize: CHUNK, name: 'plans.txt', encrypt: { keys, plaintextSha256 } })
    expect(put.manifest.name).toBeUndefined()
    for (const node of nodes) {
      const organ = storageOf(node)
      for await (const { hash } of organ.chunks.list()) {
        const stored = Buffer.from((await organ.chunks.get(hash))!)
        expect(stored.includes(Buffer.from('the plans are'))).toBe(false)
      }
    }
    await expect(getAll(client(entries[2]!), put.manifest.id)).rejects.toMatchObject({ code: 'refused' })
    const { bytes } = await getAll(client(entries[3]!), put.manifest.id, fileKeysFromIdentity(Uint8Array.from(identity)))
    expect(bytes.equals(secret)).toBe(true)
  }, 30_000)

  it('lets only the owner remove a file', async () => {
    const stranger = testSigner('secp256k1')
    await expect(client(entries[0]!).remove(id, stranger)).rejects.toMatchObject({ code: 'refused' })
    expect((await getAll(client(entries[1]!), id)).bytes.equals(data)).toBe(true)
    expect(await client(entries[0]!).remove(id, owner)).toBeGreaterThanOrEqual(3)
    await expect(client(entries[2]!).get(id, () => {})).rejects.toMatchObject({ code: 'not-found' })
  }, 30_000)

  it('keeps manifests replicated: a file manager that lost its copy gets it back at the next audit', async () => {
    const put = await client(entries[0]!).put(once(randomBytes(1000)), { owner, chunkSize: CHUNK })
    const keepers = nodes.filter((n) => managerOf(n).manifests.ownerOf(put.manifest.id))
    expect(keepers.length).toBeGreaterThanOrEqual(3)
    const [lost, auditor] = keepers as [OrganismNode, OrganismNode]
    await managerOf(lost).manifests.remove(put.manifest.id) // as if its disk had been replaced
    const result = await managerOf(auditor).steward.auditId(put.manifest.id)
    expect(result?.manifestCopies).toBe(1)
    expect(managerOf(lost).manifests.ownerOf(put.manifest.id)).toBe(bytesToHex(owner.keyId))
  }, 30_000)

  it('passes over a truncated or tampered manifest on disk, drops it, and the next audit puts a good copy back', async () => {
    const bytes = randomBytes(5000)
    const put = await client(entries[0]!).put(once(bytes), { owner, chunkSize: CHUNK })
    const keepers = nodes.filter((n) => managerOf(n).manifests.ownerOf(put.manifest.id))
    const [truncated, tampered, healthy] = keepers as [OrganismNode, OrganismNode, OrganismNode]
    const fileOf = (n: OrganismNode) => join(managerOf(n).manifests.dir, put.manifest.id)
    await writeFile(fileOf(truncated), put.manifest.bytes.subarray(0, put.manifest.bytes.length - 7))
    const flipped = Buffer.from(put.manifest.bytes)
    flipped[flipped.length - 20]! ^= 0x01
    await writeFile(fileOf(tampered), flipped)
    // Every reader checks the manifest it gets; a bad copy is refused and dropped where it lies.
    for (const n of [truncated, tampered]) expect(await managerOf(n).manifests.get(put.manifest.id)).toBeUndefined()
    expect((await getAll(client(entries[4]!), put.manifest.id)).bytes.equals(bytes)).toBe(true)
    await managerOf(healthy).steward.auditId(put.manifest.id)
    for (const n of [truncated, tampered]) expect(Buffer.from(await readFile(fileOf(n))).equals(put.manifest.bytes)).toBe(true)
  }, 30_000)

  it('spreads removals: a copy that missed the owner\u2019s removal is dropped when it meets one, and is not copied back', async () => {
    const bytes = randomBytes(1000)
    const put = await client(entries[0]!).put(once(bytes), { owner, chunkSize: CHUNK })
    const keepers = nodes.filter((n) => managerOf(n).manifests.ownerOf(put.manifest.id))
    const [away, ...others] = keepers as [OrganismNode, ...OrganismNode[]]
    // The owner's removal reaches every file manager but one, which was away.
    const removedAt = Date.now()
    const removal = signRemoval(owner, put.manifest.id, removedAt, cryptoRandom)
    for (const n of others) expect(await managerOf(n).manifests.applyRemoval(removal)).toBe('removed')
    const result = await managerOf(away).steward.auditId(put.manifest.id)
    expect(result).toMatchObject({ removed: true })
    expect(managerOf(away).manifests.ownerOf(put.manifest.id)).toBeUndefined()
    // Offering the removed manifest again is refused where the removal is kept…
    const keeper = nodes.find((n) => managerOf(n).manifests.removalOf(put.manifest.id))!
    expect((await managerOf(keeper).manifests.put(put.manifest.bytes)).removed).toBeDefined()
    // …but the owner may put the same file again later: a newer manifest stands (signed at least 1 ms after the removal).
    const later = clientAt(entries[2]!, ownerTransport, () => Math.max(Date.now(), removedAt + 1))
    const again = await later.put(once(bytes), { owner, chunkSize: CHUNK })
    expect(again.manifest.id).toBe(put.manifest.id)
    expect((await getAll(client(entries[3]!), put.manifest.id)).bytes.equals(bytes)).toBe(true)
  }, 30_000)

  it('detects a corrupted chunk on disk (scrub), and an audit puts a good copy back', async () => {
    const put = await client(entries[0]!).put(once(randomBytes(2 * CHUNK)), { owner, chunkSize: CHUNK })
    const hash = put.manifest.chunks[1]!
    const holders = (await client(entries[0]!).holders(put.manifest))[1]!
    const victim = nodes.find((n) => holders.includes(n.nodeId))!
    const organ = storageOf(victim)
    const path = join(organ.chunks.dir, 'chunks', hash.slice(0, 2), hash)
    const good = await readFile(path)
    const bytes = Buffer.from(good)
    bytes[100]! ^= 0xff
    await writeFile(path, bytes)
    const corruptBefore = organ.chunks.stats.corrupt
    // A get still returns good bytes (a holder never serves a copy that fails its hash; the next one serves),
    // and the read's audit (or the scrub) finds the bad copy; an audit puts a good one back.
    expect((await getAll(client(entries[2]!), put.manifest.id)).bytes.length).toBe(2 * CHUNK)
    await organ.keeper.round()
    expect(organ.chunks.stats.corrupt).toBe(corruptBefore + 1)
    const auditor = nodes.find((n) => managerOf(n).manifests.ownerOf(put.manifest.id))!
    await managerOf(auditor).steward.auditId(put.manifest.id)
    expect(Buffer.from((await organ.chunks.get(hash))!).equals(good)).toBe(true)
    expect((await client(entries[0]!).holders(put.manifest)).map((h) => h.length)).toEqual([3, 3])
  }, 30_000)

  it('drops an expired file at its next audit; its chunks then lapse like a removed file\u2019s', async () => {
    // Expiry is judged on the nodes' network clock: instead of waiting for it, the test moves that clock
    // past the expiry (on every node at once, and by less than the envelopes' ±30 s window).
    const expires = Date.now() + 20_000
    const put = await client(entries[0]!).put(once(randomBytes(CHUNK)), { owner, chunkSize: CHUNK, expires })
    const audits = () => nodes.reduce((sum, n) => sum + managerOf(n).steward.counters.audits, 0)
    const auditsBefore = audits()
    expect((await getAll(client(entries[1]!), put.manifest.id)).bytes.length).toBe(CHUNK)
    // Every read is an audit, run in the background where the manifest came from: let it pass the expiry check
    // first, or it would drop the file before the audits below look.
    await waitUntil('the read\u2019s own audit under way', audits, (n) => n > auditsBefore)
    const holders = nodes.filter((n) => managerOf(n).manifests.ownerOf(put.manifest.id))
    expect(holders.length).toBeGreaterThan(0)
    const ahead = expires + 1 - Date.now()
    expect(ahead).toBeGreaterThan(0)
    try {
      for (const n of nodes) n.clock.setOffset(ahead)
      for (const n of holders) expect(await managerOf(n).steward.auditId(put.manifest.id)).toMatchObject({ expired: true })
    } finally {
      for (const n of nodes) n.clock.setOffset(0)
    }
    await expect(client(entries[2]!).get(put.manifest.id, () => {})).rejects.toMatchObject({ code: 'not-found' })
  }, 60_000)

  it('collects chunks no file vouches for once the grace period is over, and keeps those a file does', async () => {
    const put = await client(entries[0]!).put(once(randomBytes(CHUNK)), { owner, chunkSize: CHUNK })
    const kept = put.manifest.chunks[0]!
    const id = put.manifest.id
    // A removed file's chunks lapse; a live file's are vouched for by its audits.
    const doomed = await client(entries[1]!).put(once(randomBytes(CHUNK)), { owner, chunkSize: CHUNK })
    await client(entries[1]!).remove(doomed.manifest.id, owner)
    const everywhere = async (hash: string) => (await Promise.all(nodes.map((n) => storageOf(n).chunks.has(hash)))).filter(Boolean).length
    // Rounds as the timers would run them: the file managers' audits vouch for live files' chunks, then the
    // shard cells collect what nobody vouched for in the grace period; until the removed file's chunk is gone.
    await waitUntil(
      'the removed file\u2019s chunk collected everywhere',
      async () => {
        for (const n of nodes) await managerOf(n).steward.round()
        for (const n of nodes) await storageOf(n).keeper.round()
        return { doomed: await everywhere(doomed.manifest.chunks[0]!), kept: await everywhere(kept) }
      },
      (copies) => copies.doomed === 0,
      { timeoutMs: 6 * GRACE_MS, stepMs: 1_000 },
    )
    expect(await everywhere(kept)).toBe(3)
    expect((await getAll(client(entries[3]!), id)).bytes.length).toBe(CHUNK)
  }, 90_000)

  it('gets a file while one of its holders is down, and the read\u2019s audit makes up the lost copies', async () => {
    const more = randomBytes(2 * CHUNK)
    const put = await client(entries[0]!).put(once(more), { owner: owner, chunkSize: CHUNK })
    const holders = await client(entries[0]!).holders(put.manifest)
    const candidates = nodes.filter((n) => n.cells.every((c) => c.tree.state !== 'root') && holders[0]!.includes(n.nodeId))
    const victim = candidates.find((n) => !managerOf(n).manifests.ownerOf(put.manifest.id)) ?? candidates[0]!
    const repairs = () => nodes.filter((n) => n !== victim).reduce((sum, n) => sum + managerOf(n).steward.counters.repairs, 0)
    const pulled = () => nodes.filter((n) => n !== victim).reduce((sum, n) => sum + (storageOf(n).status().chunksFetched as number), 0)
    const before = repairs()
    const pulledBefore = pulled()
    await victim.stop()
    const survivors = entries.filter((e) => e !== victim)
    const { bytes } = await getAll(client(survivors[0]!, startClient().transport), put.manifest.id)
    expect(bytes.equals(more)).toBe(true)
    // Every read is an audit: the manifest's holder counts the live copies and makes up the lost ones.
    const lost = holders.filter((h) => h.includes(victim.nodeId)).length
    await waitUntil(`the ${lost} lost copies made up`, () => repairs() - before, (made) => made >= lost, { timeoutMs: 30_000 })
    expect(repairs() - before).toBe(lost)
    // Each new copy was pulled by its new holder straight from a live one (shard.chunk.fetch).
    expect(pulled() - pulledBefore).toBe(lost)
    const after = await client(survivors[0]!, startClient().transport).holders(put.manifest)
    expect(after.map((h) => h.filter((id) => id !== victim.nodeId).length)).toEqual([3, 3])
  }, 90_000)

  it('pins a file on a node that is not one of its holders: kept past the grace period, readable through it alone; unpinned, it lapses', async () => {
    const live = nodes.filter((n) => n.cells.every((c) => c.tree.state !== 'stopped'))
    const bytes = randomBytes(CHUNK)
    const put = await client(live[0]!).put(once(bytes), { owner, chunkSize: CHUNK })
    const hash = put.manifest.chunks[0]!
    const holders = (await client(live[0]!).holders(put.manifest))[0]!
    const pinner = live.find((n) => !holders.includes(n.nodeId))!
    expect(pinner).toBeDefined()
    // Only the node's own key may pin.
    await expect(client(pinner).pin(put.manifest.id)).rejects.toMatchObject({ code: 'refused' })
    const own = new HttpsTransport({ log: silentLogger, signer: nodeSigner(await loadOrCreateNodeKey(organism.homes[nodes.indexOf(pinner)]!)) })
    try {
      const asNode = clientAt(pinner, own)
      expect(await asNode.pin(put.manifest.id)).toMatchObject({ chunks: 1, had: 0, fetched: 1, missing: 0 })
      // A chunk stored there after the pin, which no file vouches for: once the keeper collects it, the
      // pinned copy (leased no later) is past the grace period too, with nobody vouching for it. It stays.
      const loose = randomBytes(1000)
      const looseHash = createHash('sha256').update(loose).digest()
      await request(own, { endpoint: pinner.cells.find((c) => c.name === 'shard')!.endpoints.recp }, { kind: SHARD_KIND.chunkPut, body: loose, bodyType: BodyType.binary, bodyHash: looseHash }, 30_000)
      const lapsed = (chunk: string) => async () => (await storageOf(pinner).keeper.round(), !(await storageOf(pinner).chunks.has(chunk)))
      await waitUntil('the loose chunk collected on the pinning node', lapsed(looseHash.toString('hex')), Boolean, { timeoutMs: 6 * GRACE_MS, stepMs: 500 })
      expect(await storageOf(pinner).chunks.has(hash)).toBe(true)
      // Unpinned, it lapses like any chunk nobody vouches for.
      expect(await asNode.unpin(put.manifest.id)).toBe(true)
      await waitUntil('the unpinned chunk collected', lapsed(hash), Boolean, { timeoutMs: 6 * GRACE_MS, stepMs: 500 })
      // Pinned again, then every other node goes away: the file is still readable through the pinner.
      expect(await asNode.pin(put.manifest.id)).toMatchObject({ fetched: 1, missing: 0 })
      await Promise.all(live.filter((n) => n !== pinner).map((n) => n.stop()))
      await waitUntil(
        'the pinning node alone, root of its own trees',
        () => pinner.cells.map((c) => ({ cell: c.name, state: c.tree.state, size: c.tree.status().treeSize })),
        (cells) => cells.every((c) => c.state === 'root' && c.size === 1),
        { timeoutMs: 60_000 },
      )
      expect((await getAll(client(pinner, startClient().transport), put.manifest.id)).bytes.equals(bytes)).toBe(true)
    } finally {
      await own.close()
    }
  }, 180_000)
})
