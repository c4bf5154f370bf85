/**
 * Storage with real processes on loopback: 5 × `borg node join --cells
 * shard,files`, files put and got with the real CLI. Holders are killed with
 * kill -9 after a put and in the middle of one; the file still comes back
 * bit-identical. Also: a chunk corrupted on disk is found and repaired,
 * owner-only removal, encryption readable only after `id restore`, bad ids
 * and empty files with their documented exit codes.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, readFile, readdir, rm, stat as fileStat, writeFile } from 'node:fs/promises'
import { spawn } from 'node:child_process'
import { ensureBundle } from '../../scripts/lib/cli-bundle.js'
import { createHash, randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { processOrganismForFile } from './process-organism-for-file.js'
import { waitFor, type NodeProcess } from '../../scripts/lib/process-organism.js'

const PASS = 'correct horse battery staple'
// Scrubs every 2 s and audits every 3 s, so a corrupt chunk is found and repaired within the test.
const { organism, work } = await processOrganismForFile('storage', {
  BORG_HEARTBEAT_MS: '500',
  BORG_LOG_LEVEL: 'warn',
  BORG_PASSPHRASE: PASS,
  BORG_SHARD_ROUND_MS: '2000',
  BORG_FILES_AUDIT_MS: '3000',
})
const CELLS = 'shard,files'
let mnemonic = ''

/** The CLI as a child process the test can kill; what it wrote to stderr is kept for the failure message. */
function spawnCli(home: string, args: string[]) {
  const child = spawn(process.execPath, [ensureBundle(), ...args], { env: { ...process.env, BORG_HOME: home, BORG_PASSPHRASE: PASS, BORG_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()).length > 20_000 && (stderr = stderr.slice(-10_000)))
  const closed = new Promise<number | null>((resolve) => child.once('close', resolve))
  return { child, closed, stderr: () => stderr }
}

/**
 * Start a get of `id` into `out` and return it once more than `bytes` of it are on disk. A get that
 * finishes first (on loopback 24 MiB takes well under a second, and a starved test process can
 * miss the moment) is run again, up to `attempts` times; one that fails ends the test with its
 * exit status and stderr.
 */
async function getCaughtMidway(home: string, id: string, out: string, bytes: number, what: string, attempts = 8) {
  for (let attempt = 1; attempt <= attempts; attempt++) {
    await rm(out, { force: true })
    const get = spawnCli(home, ['shard', 'get', id, '-o', out])
    const probe = async () => {
      if (get.child.exitCode !== null || get.child.signalCode !== null) return 'ended'
      return ((await fileStat(`${out}.borg-part`).catch(() => undefined))?.size ?? 0) > bytes ? 'midway' : undefined
    }
    const { value } = await waitFor(what, probe, 60_000, 10).catch((e: Error) => {
      throw new Error(`${e.message}; the get so far wrote to stderr: ${get.stderr().trim() || 'nothing'}`)
    })
    if (value === 'midway') return get
    const code = await get.closed
    if (code !== 0) throw new Error(`the get ended before ${what} (exit ${code}): ${get.stderr().trim()}`)
    console.log(`get ${attempt} of ${id.slice(0, 12)}… finished before ${what}: running it again`)
  }
  throw new Error(`${attempts} gets of ${id} all finished before ${what}`)
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
const owner = () => organism.nodes[0]!

async function borg(node: NodeProcess | string, ...args: string[]) {
  return organism.exec(typeof node === 'string' ? node : node.home, args, { timeoutMs: 120_000 })
}

async function stat(node: NodeProcess, id: string): Promise<{ chunks: { hash: string; holders: string[] }[] }> {
  const r = await borg(node, 'shard', 'stat', id, '--json')
  expect(r.code, r.stderr).toBe(0)
  return JSON.parse(r.stdout.toString())
}

async function nodeIdOf(node: NodeProcess): Promise<string> {
  return (await organism.monitorStatus(node)).nodeId
}

beforeAll(async () => {
  const first = await organism.add([], CELLS)
  for (let i = 1; i < 4; i++) await organism.add([first.index], CELLS)
  // The last node offers only 2 MiB: it fills up, refuses, and placement goes elsewhere.
  await organism.add([first.index], CELLS, { BORG_SHARD_QUOTA: '2M' })
  await organism.oneTreeEach(['shard', 'files'], 90_000)
  const created = await borg(owner(), 'id', 'new', '--json')
  expect(created.code, created.stderr).toBe(0)
  mnemonic = JSON.parse(created.stdout.toString()).mnemonic
}, 150_000)

describe('storage across five node processes', () => {
  it('survives kill -9 of two of three holders after the put, and of a holder in the middle of a put', async () => {
    const data = randomBytes(6 * 1024 * 1024 + 777)
    const file = join(work, 'data.bin')
    await writeFile(file, data)
    const put = await borg(owner(), 'shard', 'put', file, '--json')
    expect(put.code, put.stderr).toBe(0)
    const { id, replicas, fewestCopies } = JSON.parse(put.stdout.toString())
    expect([replicas, fewestCopies]).toEqual([3, 3])

    // Two holders of the first chunk die (not the owner's node, which the CLI talks to).
    const ids = await Promise.all(organism.nodes.map(nodeIdOf))
    const holders = (await stat(owner(), id)).chunks[0]!.holders
    const victims = organism.nodes.filter((n, i) => i !== 0 && holders.includes(ids[i]!)).slice(0, 2)
    for (const v of victims) organism.kill9(v)
    const out = join(work, 'back.bin')
    const survivor = organism.alive().find((n) => n !== owner())!
    const got = await borg(survivor, 'shard', 'get', id, '-o', out, '--json')
    expect(got.code, got.stderr).toBe(0)
    expect(sha(await readFile(out))).toBe(sha(data))
    // Bring them back for what follows (same identities).
    for (const v of victims) organism.launch(v, [0], CELLS)
    await organism.oneTreeEach(['shard', 'files'], 90_000) // the victims back in the trees

    // A holder killed while a larger put is under way: the put moves down the ranking and completes.
    const big = randomBytes(24 * 1024 * 1024)
    const bigFile = join(work, 'big.bin')
    await writeFile(bigFile, big)
    const running = borg(owner(), 'shard', 'put', bigFile, '--json')
    // Killed once it has taken its first chunks of this put.
    const midVictim = organism.nodes[3]!
    const putsSoFar = async () => {
      const cell = (await organism.monitorStatus(midVictim)).cells.find((c) => c.name === 'shard') as unknown as { organs: { storage: { chunkPuts: number } } }
      return cell.organs.storage.chunkPuts
    }
    const before = await putsSoFar()
    await waitFor('the victim to take chunks of the big put', async () => ((await putsSoFar()) > before ? true : undefined), 30_000, 50)
    organism.kill9(midVictim)
    const bigPut = await running
    expect(bigPut.code, bigPut.stderr).toBe(0)
    const bigId = JSON.parse(bigPut.stdout.toString()).id
    // An interrupted get (kill -9 of the CLI once part of the file is on disk) resumes when run again.
    const bigOut = join(work, 'big-back.bin')
    const reader = organism.nodes[1]!
    const interrupted = await getCaughtMidway(reader.home, bigId, bigOut, 2 * 1024 * 1024, 'part of the file on disk')
    interrupted.child.kill('SIGKILL')
    await interrupted.closed
    const bigGot = await borg(reader, 'shard', 'get', bigId, '-o', bigOut, '--json')
    expect(bigGot.code, bigGot.stderr).toBe(0)
    expect(JSON.parse(bigGot.stdout.toString()).resumedFrom).toBeGreaterThan(0)
    expect(sha(await readFile(bigOut))).toBe(sha(big))

    // A holder killed while a get is under way: the get moves on to the other holders.
    const duringOut = join(work, 'during.bin')
    const during = await getCaughtMidway(reader.home, bigId, duringOut, 2 * 1024 * 1024, 'the get under way')
    const holderVictim = organism.alive().find((n) => n !== owner() && n !== reader && n !== midVictim)!
    organism.kill9(holderVictim)
    expect(await during.closed, during.stderr()).toBe(0)
    expect(sha(await readFile(duringOut))).toBe(sha(big))
    organism.launch(holderVictim, [0], CELLS)
    organism.launch(midVictim, [0], CELLS)
    await organism.oneTreeEach(['shard', 'files'], 90_000) // back in the trees before the next test puts
  }, 300_000)

  it('finds a chunk corrupted on a holder\u2019s disk and repairs it from another copy', async () => {
    const data = randomBytes(3 * 1024 * 1024)
    const file = join(work, 'corrupt-me.bin')
    await writeFile(file, data)
    const put = await borg(owner(), 'shard', 'put', file, '--json')
    expect(put.code, put.stderr).toBe(0)
    const { id } = JSON.parse(put.stdout.toString())
    const ids = await Promise.all(organism.nodes.map(nodeIdOf))
    const { hash, holders } = (await stat(owner(), id)).chunks[1]!
    // Three copies, or one more: a put to a holder that was just coming back can time out after it stored,
    // and the client then moves down the ranking (the keeper collects the spare copy later).
    expect(holders.length).toBeGreaterThanOrEqual(3)
    const victim = organism.nodes.find((_, i) => holders.includes(ids[i]!))!
    const path = join(victim.home, 'node', 'cells', 'shard', 'store', 'chunks', hash.slice(0, 2), hash)
    const good = await readFile(path)
    const bad = Buffer.from(good)
    bad[12_345]! ^= 0x55
    await writeFile(path, bad)
    // The holder's scrub finds the bad copy by its hash and drops it; a file manager's audit puts a good one back.
    await waitFor('the corrupt chunk replaced by a good copy', async () => {
      const now = await readFile(path).catch(() => undefined)
      return now?.equals(good) ? true : undefined
    }, 60_000, 250)
    const back = await borg(organism.nodes[2]!, 'shard', 'get', id)
    expect(sha(back.stdout)).toBe(sha(data))
  }, 120_000)

  it('lets only the owner remove, and reports unknown and path-like ids with their exit codes', async () => {
    const file = join(work, 'small.txt')
    await writeFile(file, 'hello storage\n')
    const { id } = JSON.parse((await borg(owner(), 'shard', 'put', file, '--json')).stdout.toString())
    const ls = JSON.parse((await borg(owner(), 'shard', 'ls', '--json')).stdout.toString()) as { id: string }[]
    expect(ls.map((r) => r.id)).toContain(id)
    // Another identity, on another node's home, may not remove it.
    const other = organism.nodes[2]!
    expect((await borg(other, 'id', 'new', '--json')).code).toBe(0)
    const refused = await borg(other, 'shard', 'rm', id, '--json')
    expect(refused.code).toBe(7)
    expect(JSON.parse(refused.stdout.toString()).error.code).toBe('refused')
    expect((await borg(other, 'shard', 'get', id)).stdout.toString()).toBe('hello storage\n')
    expect((await borg(owner(), 'shard', 'rm', id, '--json')).code).toBe(0)
    expect((await borg(other, 'shard', 'get', id)).code).toBe(3)
    expect((await borg(other, 'shard', 'get', '../../etc/passwd')).code).toBe(2)
    expect((await borg(other, 'shard', 'get', 'f'.repeat(64))).code).toBe(3)
    // The empty file.
    const empty = join(work, 'empty')
    await writeFile(empty, '')
    const e = await borg(owner(), 'shard', 'put', empty, '--json')
    expect(e.code, e.stderr).toBe(0)
    const back = await borg(other, 'shard', 'get', JSON.parse(e.stdout.toString()).id)
    expect([back.code, back.stdout.length]).toEqual([0, 0])
  }, 120_000)

  it('places chunks elsewhere when a node is full, which refuses with a clear error and stays within its quota', async () => {
    const data = randomBytes(8 * 1024 * 1024)
    const file = join(work, 'eight.bin')
    await writeFile(file, data)
    const put = await borg(owner(), 'shard', 'put', file, '--json')
    expect(put.code, put.stderr).toBe(0)
    const { id, fewestCopies } = JSON.parse(put.stdout.toString())
    expect(fewestCopies).toBe(3)
    const full = organism.nodes[4]!
    const storage = ((await organism.monitorStatus(full)).cells.find((c) => c.name === 'shard') as unknown as { organs: { storage: { usedBytes: number; quotaBytes: number; refusedFull: number } } }).organs.storage
    expect(storage.quotaBytes).toBe(2 * 1024 * 1024)
    expect(storage.usedBytes).toBeLessThanOrEqual(storage.quotaBytes)
    expect(storage.refusedFull).toBeGreaterThan(0)
    const back = await borg(organism.nodes[1]!, 'shard', 'get', id)
    expect(sha(back.stdout)).toBe(sha(data))
  }, 120_000)

  it('keeps encrypted files unreadable on holders and readable after id restore on a fresh home', async () => {
    const secret = Buffer.from('meet me at the usual place at noon\n'.repeat(50_000))
    const file = join(work, 'secret.txt')
    await writeFile(file, secret)
    const put = await borg(owner(), 'shard', 'put', file, '--encrypt', '--json')
    expect(put.code, put.stderr).toBe(0)
    const { id } = JSON.parse(put.stdout.toString())
    for (const n of organism.nodes) {
      const store = join(n.home, 'node', 'cells', 'shard', 'store', 'chunks')
      for (const fan of await readdir(store).catch(() => [])) {
        for (const name of await readdir(join(store, fan))) {
          expect((await readFile(join(store, fan, name))).includes('meet me at the usual place')).toBe(false)
        }
      }
    }
    // Its owner sees the name, which travels sealed (BORG_PASSPHRASE is set, so ls unlocks the identity).
    const listed = JSON.parse((await borg(owner(), 'shard', 'ls', '--json')).stdout.toString()) as { id: string; name?: string; encrypted?: boolean }[]
    expect(listed.find((r) => r.id === id)).toMatchObject({ name: 'secret.txt', encrypted: true })
    // stream get reads it as shard get does: BORG_PASSPHRASE is set, so as the identity, without --identity.
    const streamed = await borg(owner(), 'stream', 'get', id)
    expect(streamed.code, streamed.stderr.toString()).toBe(0)
    expect(sha(streamed.stdout)).toBe(sha(secret))
    // Without the owner's identity: refused.
    const stranger = await borg(organism.nodes[4]!, 'shard', 'get', id)
    expect(stranger.code).toBe(7)
    // The owner's words restored into a fresh home that runs no node: read through any node.
    const fresh = await mkdtemp(join(tmpdir(), 'borg-restored-'))
    try {
      const restored = await organism.exec(fresh, ['id', 'restore', '--json'], { input: `${mnemonic}\n` })
      expect(restored.code, restored.stderr).toBe(0)
      const recp = `127.0.0.1:${organism.nodes[1]!.portBase + 13355}`
      const got = await organism.exec(fresh, ['shard', 'get', id, '--node', recp, '--identity'])
      expect(got.code, got.stderr).toBe(0)
      expect(sha(got.stdout)).toBe(sha(secret))
    } finally {
      await rm(fresh, { recursive: true, force: true })
    }
  }, 120_000)
})
