/**
 * Record sync and the service registry as real processes on loopback
 * (docs/records.md): 10 × `borg node join --cells crono`. Every node's
 * `borg services` lists every node; a node that joins shows up on every node
 * within one sync interval; a node killed with kill -9 drops out everywhere
 * within its TTL plus one sync interval; one stopped (SIGSTOP) for longer
 * than its TTL drops out and comes back with a higher sequence after
 * SIGCONT; forged and expired service records are refused; a flood of
 * records from one author stops at its quota while another author's records
 * still reach every node holding the collection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ProcessOrganism, type NodeProcess } from '../../scripts/lib/process-organism.js'
import { bytesToHex, hexToBytes, utf8 } from '../../src/core/bytes.js'
import { loadOrCreateNodeKey } from '../../src/core/identity/node-key.js'
import { nodeSigner } from '../../src/core/identity/signer.js'
import { silentLogger } from '../../src/core/log.js'
import { request } from '../../src/core/messaging/requests.js'
import { HttpsTransport } from '../../src/core/net/https-transport.js'
import { RECORDS_CODECS } from '../../src/core/records/messages.js'
import { decodeRecord, jsonContent, signRecord } from '../../src/core/records/record.js'
import { SERVICES } from '../../src/core/records/service-registry.js'
import { cronoCell } from '../../src/cells/crono/index.js'
import { reservePortSlot } from '../helpers/port-slots.js'
import { testSigner } from '../helpers/keys.js'
import { waitUntil } from '../helpers/wait-until.js'

const NODES = 10
const SYNC_MS = 2000
const TTL = 15
const slot = await reservePortSlot()
const organism = new ProcessOrganism(slot.portBaseAt(slot.first), { BORG_LOG_LEVEL: 'warn', BORG_RECORDS_SYNC_MS: String(SYNC_MS), BORG_SERVICE_TTL: String(TTL) })
organism.contactWaitS = 60
let transport: HttpsTransport
let dir: string

const recp = (n: NodeProcess) => ({ endpoint: `127.0.0.1:${n.portBase + cronoCell.dna.recpPort}` })
const now = () => Math.floor(Date.now() / 1000)
const nodeIds = new Map<NodeProcess, string>()

/** The live registry a node holds, read over its receptor (cheap enough to poll; `borg services` is checked too). */
async function registryOf(n: NodeProcess): Promise<Map<string, number>> {
  const reply = RECORDS_CODECS.listReply.decode(await request(transport, recp(n), RECORDS_CODECS.list.encode({ collection: SERVICES, limit: 500 }), 10_000))
  const live = new Map<string, number>()
  for (const hex of reply.records) {
    const { record } = decodeRecord(hexToBytes(hex))
    if (record.expires <= now()) continue
    const info = jsonContent(record) as { node: string; seq: number }
    if ((live.get(info.node) ?? -1) < info.seq) live.set(info.node, info.seq)
  }
  return live
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'borg-records-e2e-'))
  transport = new HttpsTransport({ signer: nodeSigner(await loadOrCreateNodeKey(dir)), log: silentLogger, timeoutMs: 10_000 })
  const first = await organism.add([], 'crono')
  await waitUntil('the first node to answer', () => registryOf(first).then(() => true, () => false), (ok) => ok, { timeoutMs: 30_000 })
  for (let i = 1; i < NODES; i++) await organism.add([0], 'crono')
  for (const n of organism.nodes) nodeIds.set(n, bytesToHex((await loadOrCreateNodeKey(n.home)).id))
}, 120_000)

afterAll(async () => {
  const deaths = organism.deathReport()
  if (deaths) console.error(`nodes that died on their own:\n${deaths}`)
  await transport?.close()
  await organism.stopAll()
  await slot.release()
  await rm(dir, { recursive: true, force: true })
})

describe('the service registry across 10 processes', () => {
  it('lists every node on every node, through `borg services` too', async () => {
    const all = [...nodeIds.values()].sort()
    await waitUntil('every node to list all 10', () => Promise.all(organism.alive().map(registryOf)), (views) => views.every((v) => JSON.stringify([...v.keys()].sort()) === JSON.stringify(all)), { timeoutMs: 90_000, stepMs: 500 })
    const listed = JSON.parse(await organism.cli(organism.nodes[4]!, 'services', '--json')) as { node: string; cells: { type: string }[] }[]
    expect(listed.map((s) => s.node).sort()).toEqual(all)
    expect(listed.every((s) => s.cells.some((c) => c.type === 'crono'))).toBe(true)
    expect(JSON.parse(await organism.cli(organism.nodes[4]!, 'services', '--cell', 'shard', '--json'))).toEqual([])
  }, 120_000)

  it('shows a node that joins on every node within one sync interval', async () => {
    const joined = await organism.add([3], 'crono')
    const id = bytesToHex((await loadOrCreateNodeKey(joined.home)).id)
    nodeIds.set(joined, id)
    // From the moment its own node holds its record (it publishes as it starts).
    await waitUntil('the new node to publish', () => registryOf(joined).then((r) => r.has(id), () => false), (ok) => ok, { timeoutMs: 60_000, stepMs: 100 })
    const published = Date.now()
    const others = organism.alive().filter((n) => n !== joined)
    await waitUntil('every node to list the new one', () => Promise.all(others.map(registryOf)), (views) => views.every((v) => v.has(id)), { timeoutMs: 30_000, stepMs: 100 })
    const took = Date.now() - published
    console.log(`registry: a joining node listed on ${others.length} nodes ${took} ms after it published (sync interval ${SYNC_MS} ms)`)
    expect(took).toBeLessThanOrEqual(SYNC_MS)
  }, 120_000)

  it('drops a node killed with kill -9 everywhere within its TTL plus one sync interval', async () => {
    const victim = organism.nodes[7]!
    const id = nodeIds.get(victim)!
    organism.kill9(victim)
    const killed = Date.now()
    await waitUntil('every node to drop the killed one', () => Promise.all(organism.alive().map(registryOf)), (views) => views.every((v) => !v.has(id)), { timeoutMs: (TTL + 30) * 1000, stepMs: 250 })
    const took = Date.now() - killed
    console.log(`registry: a node killed with kill -9 dropped everywhere after ${took} ms (TTL ${TTL} s + sync ${SYNC_MS} ms)`)
    expect(took).toBeLessThanOrEqual(TTL * 1000 + SYNC_MS + 1000)
  }, 120_000)

  it('drops a node stopped longer than its TTL, which comes back with a higher sequence', async () => {
    const paused = organism.nodes[5]!
    const id = nodeIds.get(paused)!
    const before = (await registryOf(organism.nodes[0]!)).get(id)!
    paused.child!.kill('SIGSTOP')
    try {
      await waitUntil('every other node to drop the stopped one', () => Promise.all(organism.alive().filter((n) => n !== paused).map(registryOf)), (views) => views.every((v) => !v.has(id)), { timeoutMs: (TTL + 30) * 1000, stepMs: 500 })
    } finally {
      paused.child!.kill('SIGCONT')
    }
    const back = await waitUntil('the node to be listed again', () => registryOf(organism.nodes[0]!).then((r) => r.get(id)), (seq) => seq !== undefined, { timeoutMs: 30_000, stepMs: 200 })
    expect(back.value!).toBeGreaterThan(before)
  }, 120_000)

  it('refuses forged, foreign and expired service records', async () => {
    const target = organism.nodes[0]!
    const stranger = testSigner('ed25519')
    const t = now()
    const content = (node: string) => utf8.encode(JSON.stringify({ node, seq: t, ttl: TTL, version: 'x', cells: [], services: [] }))
    const foreign = signRecord({ kind: 'record', collection: SERVICES, author: stranger.keyId, created: t, expires: t + TTL, contentType: 'json', content: content(nodeIds.get(target)!) }, stranger)
    const expired = signRecord({ kind: 'record', collection: SERVICES, author: stranger.keyId, created: t - 100, expires: t - 100 + TTL, contentType: 'json', content: content(bytesToHex(stranger.keyId)) }, stranger)
    const forged = Uint8Array.from(signRecord({ kind: 'record', collection: SERVICES, author: stranger.keyId, created: t, expires: t + TTL, contentType: 'json', content: content(bytesToHex(stranger.keyId)) }, stranger).bytes)
    forged[forged.length - 1]! ^= 1
    const reply = RECORDS_CODECS.pushReply.decode(await request(transport, recp(target), RECORDS_CODECS.push.encode({ collection: SERVICES, records: [foreign.bytes, expired.bytes, forged].map(bytesToHex) }), 10_000))
    expect(reply.results.map((r) => r.code)).toEqual(['refused', 'expired', 'bad-signature'])
    expect((await registryOf(target)).has(bytesToHex(stranger.keyId))).toBe(false)
  }, 30_000)
})

describe('a flood from one author', () => {
  it('stops at the author quota while another author’s records reach every node holding the collection', async () => {
    const holders = [organism.nodes[0]!, organism.nodes[1]!, organism.nodes[2]!]
    // Each holder's own command starts the collection there (its first record).
    for (const n of holders) {
      const { code, stdout, stderr } = await organism.exec(n.home, ['records', 'put', 'notes', '-'], { input: JSON.stringify({ hello: n.index }) })
      expect(code, stderr).toBe(0)
      expect(stdout.toString().trim()).toMatch(/^[0-9a-f]{64}$/)
    }
    const flooder = testSigner('ed25519')
    const honest = testSigner('ed25519')
    const t = now()
    const note = (signer: typeof flooder, n: number) => signRecord({ kind: 'record', collection: 'notes', author: signer.keyId, created: t, expires: 0, contentType: 'json', content: utf8.encode(JSON.stringify({ n })) }, signer).bytes
    let stored = 0
    let refused = 0
    for (let i = 0; i < 1200; i += 100) {
      const batch = Array.from({ length: 100 }, (_, k) => bytesToHex(note(flooder, i + k)))
      const reply = RECORDS_CODECS.pushReply.decode(await request(transport, recp(holders[0]!), RECORDS_CODECS.push.encode({ collection: 'notes', records: batch }), 30_000))
      for (const r of reply.results) r.outcome === 'stored' ? stored++ : refused++
    }
    expect([stored, refused]).toEqual([1000, 200]) // the default quota: 1,000 records per author
    const honestNotes = Array.from({ length: 20 }, (_, k) => bytesToHex(note(honest, k)))
    const reply = RECORDS_CODECS.pushReply.decode(await request(transport, recp(holders[0]!), RECORDS_CODECS.push.encode({ collection: 'notes', records: honestNotes }), 30_000))
    expect(reply.results.every((r) => r.outcome === 'stored')).toBe(true)
    const countOf = async (n: NodeProcess, author: string) =>
      (JSON.parse(await organism.cli(n, 'records', 'ls', 'notes', '--author', author, '--json')) as unknown[]).length
    await waitUntil('the honest author’s records to reach the other holders', () => Promise.all(holders.slice(1).map((n) => countOf(n, bytesToHex(honest.keyId)))), (counts) => counts.every((c) => c === 20), { timeoutMs: 60_000, stepMs: 1000 })
    for (const n of holders.slice(1)) expect(await countOf(n, bytesToHex(flooder.keyId))).toBe(1000)
  }, 180_000)
})

describe('borg records', () => {
  it('put, get, ls, rm and sync --with as a user runs them, with their exit statuses', async () => {
    const [a, b] = [organism.nodes[0]!, organism.nodes[1]!]
    const put = await organism.exec(a.home, ['records', 'put', 'notes', '-', '--json'], { input: JSON.stringify({ text: 'to be deleted' }) })
    expect(put.code, put.stderr).toBe(0)
    const id = (JSON.parse(put.stdout.toString()) as { id: string }).id
    expect(JSON.parse(await organism.cli(a, 'records', 'get', id))).toEqual({ text: 'to be deleted' })
    // One reconciliation now with b, printed per collection (round trips and bytes).
    const synced = JSON.parse(await organism.cli(a, 'records', 'sync', 'notes', '--with', `127.0.0.1:${b.portBase + cronoCell.dna.netPort}`, '--json')) as { reports: { collection: string; roundTrips: number; reconcileBytes: number }[] }
    expect(synced.reports[0]!.collection).toBe('notes')
    expect(synced.reports[0]!.roundTrips).toBeGreaterThanOrEqual(1)
    expect(synced.reports[0]!.reconcileBytes).toBeGreaterThan(0)
    await waitUntil('b to hold the record', () => organism.exec(b.home, ['records', 'get', id]).then((r) => r.code), (code) => code === 0, { timeoutMs: 20_000, stepMs: 500 })
    // Only its author deletes it: b's node key is refused (7); a's deletion removes it everywhere.
    expect((await organism.exec(b.home, ['records', 'rm', id])).code).toBe(7)
    const rm = await organism.exec(a.home, ['records', 'rm', id, '--json'])
    expect(rm.code, rm.stderr).toBe(0)
    await waitUntil('b to drop the deleted record', () => organism.exec(b.home, ['records', 'get', id]).then((r) => r.code), (code) => code === 3, { timeoutMs: 20_000, stepMs: 500 })
    // Usage errors: a bad collection name (2), an id that is not 64 hex digits (2), content that is not JSON (2).
    expect((await organism.exec(a.home, ['records', 'ls', 'Bad Name'])).code).toBe(2)
    expect((await organism.exec(a.home, ['records', 'get', 'xyz'])).code).toBe(2)
    expect((await organism.exec(a.home, ['records', 'put', 'notes', '-'], { input: 'not json' })).code).toBe(2)
  }, 120_000)
})
