import fc from 'fast-check'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ChunkStore, chunkHash } from '../../src/cells/shard/chunk-store.js'
import { BorgError } from '../../src/core/errors.js'
import type { Logger } from '../../src/core/log.js'

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')
const chunk = (text: string) => new TextEncoder().encode(text)

let root: string
let dir: string
let warnings: string[]
let log: Logger

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'borg-chunk-store-'))
  dir = join(root, 'cell')
  warnings = []
  log = { debug() {}, info() {}, warn: (m) => void warnings.push(m), error() {} }
})

afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

async function openStore(quotaBytes = 1 << 20, at = dir): Promise<ChunkStore> {
  const store = new ChunkStore({ dir: at, quotaBytes, log })
  await store.open()
  return store
}

function fileOf(hash: string, at = dir): string {
  return join(at, 'chunks', hash.slice(0, 2), hash)
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
}

async function listAll(store: ChunkStore): Promise<{ hash: string; size: number }[]> {
  const out: { hash: string; size: number }[] = []
  for await (const entry of store.list()) out.push(entry)
  return out
}

/** Every file under <dir>/chunks, relative, to prove nothing else was written. */
async function filesOnDisk(at = dir): Promise<string[]> {
  const entries = await readdir(join(at, 'chunks'), { recursive: true, withFileTypes: true })
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(at.length + 1)).sort()
}

async function flipByte(path: string, at = 0): Promise<void> {
  const bytes = await readFile(path)
  bytes[at] = bytes[at]! ^ 0x01
  await writeFile(path, bytes)
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(BorgError)
    return (error as BorgError).code
  }
  throw new Error('expected a BorgError, got success')
}

describe('ChunkStore', () => {
  it('stores and returns a chunk under its SHA-256, in the fan-out layout', async () => {
    const store = await openStore()
    const bytes = chunk('hello shard')
    const hash = sha(bytes)
    expect(await store.put(hash, bytes)).toBe('stored')
    expect(await store.has(hash)).toBe(true)
    expect(await store.get(hash)).toEqual(bytes)
    expect(new Uint8Array(await readFile(fileOf(hash)))).toEqual(bytes)
    expect(await filesOnDisk()).toEqual([join('chunks', hash.slice(0, 2), hash)])
    expect(store.usedBytes).toBe(bytes.length)
    expect(store.freeBytes).toBe((1 << 20) - bytes.length)
    expect(store.stats).toEqual({ chunks: 1, usedBytes: bytes.length, stored: 1, existed: 0, corrupt: 0, refusedFull: 0 })
  })

  it('missing chunks: get → undefined, has → false, delete → false', async () => {
    const store = await openStore()
    const hash = sha(chunk('never stored'))
    expect(await store.get(hash)).toBeUndefined()
    expect(await store.has(hash)).toBe(false)
    expect(await store.delete(hash)).toBe(false)
  })

  it('put is idempotent and does not rewrite an existing chunk', async () => {
    const store = await openStore()
    const bytes = chunk('same bytes twice')
    const hash = sha(bytes)
    await store.put(hash, bytes)
    const before = await stat(fileOf(hash))
    expect(await store.put(hash, bytes)).toBe('exists')
    const after = await stat(fileOf(hash))
    expect(after.ino).toBe(before.ino) // not replaced by a rename
    expect(store.usedBytes).toBe(bytes.length)
    expect(store.stats).toMatchObject({ chunks: 1, stored: 1, existed: 1 })
  })

  it('delete removes the file and gives the bytes back', async () => {
    const store = await openStore()
    const bytes = chunk('to be deleted')
    const hash = sha(bytes)
    await store.put(hash, bytes)
    expect(await store.delete(hash)).toBe(true)
    expect(await exists(fileOf(hash))).toBe(false)
    expect(await store.has(hash)).toBe(false)
    expect(store.usedBytes).toBe(0)
    expect(store.stats.chunks).toBe(0)
    expect(await store.delete(hash)).toBe(false)
  })

  it('refuses bytes that do not hash to the given id, writing nothing', async () => {
    const store = await openStore()
    const wrong = sha(chunk('one thing'))
    expect(await codeOf(store.put(wrong, chunk('another thing')))).toBe('body-hash-mismatch')
    expect(await filesOnDisk()).toEqual([])
    expect(store.usedBytes).toBe(0)
    expect(await store.has(wrong)).toBe(false)
  })

  it('refuses path-like and malformed ids for put/get/has/delete before touching the filesystem', async () => {
    const store = await openStore()
    // A real file outside the store that a traversal would hit.
    const outside = join(root, 'victim')
    await writeFile(outside, 'do not touch')
    const valid = sha(chunk('x'))
    const bad: unknown[] = [
      '../../etc/passwd',
      '../victim',
      '../../victim',
      `../${valid.slice(3)}`,
      valid.toUpperCase(),
      valid.slice(0, 63),
      `${valid}0`,
      `${valid.slice(0, 62)}/.`,
      `${valid}\n`,
      ` ${valid.slice(1)}`,
      `${valid.slice(0, 63)}g`,
      '',
      '/etc/passwd',
      undefined,
      42,
      null,
    ]
    for (const id of bad) {
      const hash = id as string
      expect(await codeOf(store.put(hash, chunk('x'))), `put ${String(id)}`).toBe('invalid-input')
      expect(await codeOf(store.get(hash)), `get ${String(id)}`).toBe('invalid-input')
      expect(await codeOf(store.has(hash)), `has ${String(id)}`).toBe('invalid-input')
      expect(await codeOf(store.delete(hash)), `delete ${String(id)}`).toBe('invalid-input')
    }
    expect(await readFile(outside, 'utf8')).toBe('do not touch')
    expect(await filesOnDisk()).toEqual([])
  })

  it('refuses a chunk that would exceed the quota, with a clear message, writing nothing', async () => {
    const store = await openStore(100)
    const a = new Uint8Array(60).fill(1)
    const b = new Uint8Array(41).fill(2)
    const c = new Uint8Array(40).fill(3)
    await store.put(sha(a), a)
    let error: BorgError | undefined
    await store.put(sha(b), b).catch((e: BorgError) => (error = e))
    expect(error).toBeInstanceOf(BorgError)
    expect(error!.code).toBe('unavailable')
    expect(error!.retryable).toBe(true) // another holder may have room
    expect(error!.message).toMatch(/full/)
    expect(error!.message).toContain('60 of 100 bytes used')
    expect(error!.message).toContain('needs 41')
    expect(error!.details).toEqual({ reason: 'full', usedBytes: 60, quotaBytes: 100, neededBytes: 41 })
    expect(await store.has(sha(b))).toBe(false)
    expect(await filesOnDisk()).toEqual([join('chunks', sha(a).slice(0, 2), sha(a))])
    expect(store.stats).toMatchObject({ chunks: 1, usedBytes: 60, refusedFull: 1, stored: 1 })
    // Exactly filling the quota is allowed, and an existing chunk is still 'exists' when full.
    expect(await store.put(sha(c), c)).toBe('stored')
    expect(store.freeBytes).toBe(0)
    expect(await store.put(sha(a), a)).toBe('exists')
  })

  it('a flipped byte on disk: get returns undefined, deletes the file, counts and logs it', async () => {
    const store = await openStore()
    const bytes = randomBytes(1000)
    const hash = sha(bytes)
    await store.put(hash, bytes)
    await flipByte(fileOf(hash), 500)
    expect(await store.get(hash)).toBeUndefined()
    expect(await exists(fileOf(hash))).toBe(false)
    expect(await store.has(hash)).toBe(false)
    expect(store.stats).toMatchObject({ corrupt: 1, chunks: 0, usedBytes: 0 })
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain(hash)
    // The caller re-fetches it from another holder and stores it again.
    expect(await store.put(hash, bytes)).toBe('stored')
    expect(await store.get(hash)).toEqual(new Uint8Array(bytes))
  })

  it('put over a corrupt file replaces it instead of answering exists', async () => {
    const store = await openStore()
    const bytes = chunk('will rot')
    const hash = sha(bytes)
    await store.put(hash, bytes)
    await flipByte(fileOf(hash), 3)
    expect(await store.put(hash, bytes)).toBe('stored')
    expect(await store.get(hash)).toEqual(bytes)
    expect(store.stats).toMatchObject({ corrupt: 1, chunks: 1, usedBytes: bytes.length })
  })

  it('a chunk file resized behind its back never drives usedBytes negative, and reopen recounts', async () => {
    const store = await openStore()
    const small = chunk('small')
    const other = chunk('another chunk')
    await store.put(sha(small), small)
    await store.put(sha(other), other)
    await writeFile(fileOf(sha(small)), 'tampered and much longer than the original chunk')
    expect(await store.get(sha(small))).toBeUndefined()
    expect(store.usedBytes).toBe(0)
    expect((await openStore()).usedBytes).toBe(other.length)
  })

  it('scrub finds and deletes a corrupted chunk', async () => {
    const store = await openStore()
    const hashes: string[] = []
    for (let i = 0; i < 5; i++) {
      const bytes = chunk(`chunk ${i}`)
      hashes.push(sha(bytes))
      await store.put(sha(bytes), bytes)
    }
    const victim = hashes[2]!
    await flipByte(fileOf(victim))
    expect(await store.scrub()).toEqual({ checked: 5, corrupt: [victim] })
    expect(await exists(fileOf(victim))).toBe(false)
    expect(store.stats).toMatchObject({ corrupt: 1, chunks: 4 })
    expect(warnings.some((w) => w.includes(victim))).toBe(true)
    expect(await store.scrub()).toEqual({ checked: 4, corrupt: [] })
  })

  it('scrub with maxChunks resumes where it stopped and wraps around', async () => {
    const store = await openStore()
    const hashes: string[] = []
    for (let i = 0; i < 5; i++) {
      const bytes = chunk(`resumable ${i}`)
      hashes.push(sha(bytes))
      await store.put(sha(bytes), bytes)
    }
    hashes.sort()
    // Only the last chunk in hash order is bad: a scrub that restarted from the beginning would never reach it.
    await flipByte(fileOf(hashes[4]!))
    expect(await store.scrub({ maxChunks: 2 })).toEqual({ checked: 2, corrupt: [] })
    expect(await store.scrub({ maxChunks: 2 })).toEqual({ checked: 2, corrupt: [] })
    // hashes[4], then wraps to spend the rest of the budget on hashes[0].
    expect(await store.scrub({ maxChunks: 2 })).toEqual({ checked: 2, corrupt: [hashes[4]] })
    // A large budget still checks each of the 4 remaining chunks once per call.
    expect(await store.scrub({ maxChunks: 10 })).toEqual({ checked: 4, corrupt: [] })
  })

  it('a scrub that starts mid-way wraps to the chunks before its starting point', async () => {
    const store = await openStore()
    const hashes: string[] = []
    for (let i = 0; i < 4; i++) {
      const bytes = chunk(`wrap ${i}`)
      hashes.push(sha(bytes))
      await store.put(sha(bytes), bytes)
    }
    hashes.sort()
    expect(await store.scrub({ maxChunks: 3 })).toEqual({ checked: 3, corrupt: [] })
    await flipByte(fileOf(hashes[0]!))
    await flipByte(fileOf(hashes[3]!))
    // Checks hashes[3] (after the cursor), then wraps to hashes[0] and hashes[1].
    expect(await store.scrub({ maxChunks: 3 })).toEqual({ checked: 3, corrupt: [hashes[3], hashes[0]] })
    // An unbounded scrub checks each remaining chunk exactly once: hashes[2], then wraps to hashes[1].
    expect(await store.scrub()).toEqual({ checked: 2, corrupt: [] })
  })

  it('open() removes temp files left by a crash; they are neither listed nor counted', async () => {
    const store = await openStore()
    const bytes = chunk('survivor')
    const hash = sha(bytes)
    await store.put(hash, bytes)
    // What a kill -9 between write and rename leaves behind (writeFileAtomic's naming).
    const other = sha(chunk('half written'))
    const fanout = join(dir, 'chunks', other.slice(0, 2))
    await mkdir(fanout, { recursive: true })
    const temp = join(fanout, `.${other}.0123456789ab.tmp`)
    await writeFile(temp, 'half wri')
    const tempBeside = join(dir, 'chunks', hash.slice(0, 2), `.${hash}.ba9876543210.tmp`)
    await writeFile(tempBeside, 'surv')

    const reopened = await openStore()
    expect(await exists(temp)).toBe(false)
    expect(await exists(tempBeside)).toBe(false)
    expect(await listAll(reopened)).toEqual([{ hash, size: bytes.length }])
    expect(reopened.usedBytes).toBe(bytes.length)
    expect(await reopened.has(other)).toBe(false)
    expect(await reopened.get(hash)).toEqual(bytes)
  })

  it('usedBytes and the chunk count survive a reopen', async () => {
    const store = await openStore()
    let total = 0
    for (let i = 0; i < 6; i++) {
      const bytes = randomBytes(100 + i * 37)
      total += bytes.length
      await store.put(sha(bytes), bytes)
    }
    expect(store.usedBytes).toBe(total)
    const reopened = await openStore()
    expect(reopened.usedBytes).toBe(total)
    expect(reopened.stats.chunks).toBe(6)
    expect(reopened.freeBytes).toBe((1 << 20) - total)
  })

  it('concurrent puts of the same chunk store it once and count its bytes once', async () => {
    const store = await openStore()
    const bytes = randomBytes(4096)
    const hash = sha(bytes)
    const results = await Promise.all(Array.from({ length: 10 }, () => store.put(hash, bytes)))
    expect(results.filter((r) => r === 'stored')).toHaveLength(1)
    expect(results.filter((r) => r === 'exists')).toHaveLength(9)
    expect(store.usedBytes).toBe(4096)
    expect(store.stats).toMatchObject({ chunks: 1, stored: 1, existed: 9 })
    expect(await filesOnDisk()).toEqual([join('chunks', hash.slice(0, 2), hash)])
    expect(await store.get(hash)).toEqual(new Uint8Array(bytes))
  })

  it('concurrent puts of different chunks cannot overshoot the quota together', async () => {
    const store = await openStore(100)
    const chunks = Array.from({ length: 5 }, (_, i) => new Uint8Array(30).fill(i + 1))
    const results = await Promise.allSettled(chunks.map((c) => store.put(sha(c), c)))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3)
    expect(results.filter((r) => r.status === 'rejected').map((r) => ((r as PromiseRejectedResult).reason as BorgError).code)).toEqual([
      'unavailable',
      'unavailable',
    ])
    expect(store.usedBytes).toBe(90)
    expect((await filesOnDisk()).length).toBe(3)
  })

  it('putMany stores a batch as one commit: new, already there, twice in the batch, and past the quota each get their outcome', async () => {
    const store = await openStore(300)
    const [a, b, c, d] = ['a'.repeat(100), 'b'.repeat(100), 'c'.repeat(100), 'd'.repeat(100)].map(chunk)
    await store.put(sha(a!), a!)
    const items = [a!, b!, b!, c!, d!].map((bytes) => ({ hash: sha(bytes), bytes }))
    expect(await store.putMany(items)).toEqual(['exists', 'stored', 'exists', 'stored', 'full'])
    expect(store.stats).toMatchObject({ chunks: 3, usedBytes: 300, stored: 3, existed: 1, refusedFull: 1 })
    for (const bytes of [a!, b!, c!]) expect(await readFile(fileOf(sha(bytes)))).toEqual(Buffer.from(bytes))
    expect(await exists(fileOf(sha(d!)))).toBe(false)
    // No temp file left beside them, and a reopen counts the same.
    for (const bytes of [a!, b!, c!]) expect((await readdir(join(dir, 'chunks', sha(bytes).slice(0, 2)))).filter((n) => n.endsWith('.tmp'))).toEqual([])
    expect((await openStore(300)).stats).toMatchObject({ chunks: 3, usedBytes: 300 })
  })

  it('putMany and put of the same chunk at once store it once', async () => {
    const store = await openStore()
    const bytes = randomBytes(5000)
    const [single, [batched]] = await Promise.all([store.put(sha(bytes), bytes), store.putMany([{ hash: sha(bytes), bytes }])])
    expect([single, batched].sort()).toEqual(['exists', 'stored'])
    expect(store.stats).toMatchObject({ chunks: 1, usedBytes: 5000 })
  })

  it('refuses a bad quota and use before open()', async () => {
    expect(() => new ChunkStore({ dir, quotaBytes: -1 })).toThrow(BorgError)
    expect(() => new ChunkStore({ dir, quotaBytes: Number.NaN })).toThrow(BorgError)
    const store = new ChunkStore({ dir, quotaBytes: 10 })
    expect(await codeOf(store.get(sha(chunk('x'))))).toBe('internal')
  })

  it('property: any byte arrays stored come back identical, and list() matches', async () => {
    let run = 0
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 8 }), async (arrays) => {
        const at = join(root, `prop-${run++}`)
        const store = await openStore(1 << 20, at)
        const expected = new Map<string, Uint8Array>()
        for (const bytes of arrays) {
          const hash = sha(bytes)
          const result = await store.put(hash, bytes)
          expect(result).toBe(expected.has(hash) ? 'exists' : 'stored')
          expected.set(hash, bytes)
        }
        for (const [hash, bytes] of expected) expect(await store.get(hash)).toEqual(bytes)
        const listed = await listAll(store)
        expect(listed).toEqual([...expected].map(([hash, bytes]) => ({ hash, size: bytes.length })).sort((x, y) => (x.hash < y.hash ? -1 : 1)))
        const used = [...expected.values()].reduce((n, b) => n + b.length, 0)
        expect(store.usedBytes).toBe(used)
        expect(store.stats.chunks).toBe(expected.size)
        await rm(at, { recursive: true, force: true })
      }),
      { numRuns: 25 },
    )
  })
})

describe('recently verified chunks', () => {
  it('are served without hashing again within the ttl, and hashed again (corruption found) after it or when the size changed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'borg-chunks-ttl-'))
    try {
      const store = new ChunkStore({ dir, quotaBytes: 1 << 20, verifiedTtlMs: 60_000 })
      await store.open()
      const bytes = new TextEncoder().encode('hot chunk '.repeat(100))
      const hash = chunkHash(bytes)
      await store.put(hash, bytes)
      const path = join(dir, 'chunks', hash.slice(0, 2), hash)
      const flipped = Buffer.from(bytes)
      flipped[3]! ^= 1
      await writeFile(path, flipped)
      // Same size, verified moments ago: served as is (the reader's own check catches it).
      expect(Buffer.from((await store.get(hash))!).equals(flipped)).toBe(true)
      // The scrub always hashes: it finds and drops it.
      expect((await store.scrub()).corrupt).toEqual([hash])
      expect(await store.get(hash)).toBeUndefined()
      // A size change is never trusted.
      await store.put(hash, bytes)
      await writeFile(path, Buffer.concat([Buffer.from(bytes), Buffer.from('x')]))
      expect(await store.get(hash)).toBeUndefined()
      expect(store.stats.corrupt).toBe(2)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
