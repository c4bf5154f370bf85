/**
 * A holder killed (kill -9) in the middle of a batched write and right after
 * acknowledging one: after a restart, every acknowledged chunk is there and
 * whole, nothing under a chunk's name is partial, and the temp files of the
 * interrupted batch are gone (ChunkStore.putMany's group commit,
 * src/core/store/atomic-file.ts writeFilesAtomic).
 */
import { describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { ChunkStore } from '../../src/cells/shard/chunk-store.js'

const REPO = new URL('../..', import.meta.url).pathname
const CHILD = join(REPO, 'test', 'storage', 'batch-crash-child.ts')

/**
 * Run the writer until `when` says kill (given each line it printed), kill -9 it, and return the
 * hashes of the batches it acknowledged and of the one it was writing.
 */
async function runAndKill(dir: string, firstBatch: number, when: (line: string) => number | undefined): Promise<{ acked: string[]; inFlight: string[]; lastBatch: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(firstBatch)], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] })
  const pending = new Map<number, string[]>()
  const acked: string[] = []
  let lastBatch = firstBatch
  let killing = false
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()))
  for await (const line of createInterface({ input: child.stdout! })) {
    const [word, n, hashes] = line.split(' ')
    if (word === 'writing') pending.set(Number(n), hashes!.split(','))
    if (word === 'acked') {
      acked.push(...pending.get(Number(n))!)
      pending.delete(Number(n))
    }
    if (n !== undefined) lastBatch = Number(n)
    const delay = killing ? undefined : when(line)
    if (delay === undefined) continue
    killing = true
    if (delay === 0) child.kill('SIGKILL')
    else setTimeout(() => child.kill('SIGKILL'), delay)
  }
  await closed
  return { acked, inFlight: [...pending.values()].flat(), lastBatch }
}

async function tempFiles(dir: string): Promise<string[]> {
  const found: string[] = []
  for (const fan of await readdir(join(dir, 'chunks'))) for (const name of await readdir(join(dir, 'chunks', fan))) if (name.endsWith('.tmp')) found.push(name)
  return found
}

describe('batched chunk writes under kill -9', () => {
  it('keep every acknowledged chunk and never leave a partial one under its name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'borg-batch-crash-'))
    try {
      const acked: string[] = []
      const interrupted: string[] = []
      let batch = 0
      // Killed at varying moments after a batch starts (mid-write, mid-fsync, mid-rename), and at once after an acknowledgement.
      const moments: { after: 'writing' | 'acked'; delayMs: number }[] = [
        { after: 'writing', delayMs: 0 },
        { after: 'writing', delayMs: 1 },
        { after: 'writing', delayMs: 3 },
        { after: 'writing', delayMs: 8 },
        { after: 'acked', delayMs: 0 },
        { after: 'writing', delayMs: 15 },
        { after: 'acked', delayMs: 0 },
      ]
      for (const moment of moments) {
        let seen = 0
        // Let a few batches complete first, so each run has acknowledged work to lose.
        const run = await runAndKill(dir, batch, (line) => (line.startsWith(moment.after) && ++seen >= 3 ? moment.delayMs : undefined))
        acked.push(...run.acked)
        interrupted.push(...run.inFlight)
        batch = run.lastBatch + 1
      }
      expect(acked.length).toBeGreaterThanOrEqual(moments.length * 2 * 8)

      const store = new ChunkStore({ dir, quotaBytes: 1 << 30 })
      await store.open() // what a restarted holder does: leftover temp files removed
      expect(await tempFiles(dir)).toEqual([])
      for (const hash of acked) expect(await store.get(hash), `acknowledged chunk ${hash}`).toBeDefined()
      // Everything under a chunk name is whole: get() hashes it (and would drop a torn file).
      let listed = 0
      for await (const { hash } of store.list()) {
        listed++
        expect(await store.get(hash), `chunk ${hash} on disk`).toBeDefined()
      }
      expect(store.stats.corrupt).toBe(0)
      expect(listed).toBeGreaterThanOrEqual(acked.length)
      expect(listed).toBeLessThanOrEqual(acked.length + interrupted.length)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 120_000)
})
