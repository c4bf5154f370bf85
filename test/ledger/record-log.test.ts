/**
 * The ledger's append-only log (src/core/ledger/record-log.ts): a torn tail is
 * cut off, never half read; flushed records survive kill -9 of the writer.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm, stat, truncate, writeFile, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { RecordLog } from '../../src/core/ledger/record-log.js'

const record = (i: number) => new TextEncoder().encode(`record ${i} `.repeat((i % 7) + 1))
const text = (r: Uint8Array) => new TextDecoder().decode(r)

describe('the record log', () => {
  let dir = ''
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'borg-log-'))
  })
  afterAll(async () => rm(dir, { recursive: true, force: true }))

  it('gives back what was appended, and appends after it when opened again', async () => {
    const path = join(dir, 'plain.log')
    const { log } = await RecordLog.open(path)
    for (let i = 0; i < 20; i++) void log.append(record(i))
    await log.close()
    const again = await RecordLog.open(path)
    expect(again.records.map(text)).toEqual(Array.from({ length: 20 }, (_, i) => text(record(i))))
    await again.log.append(record(20))
    await again.log.close()
    expect((await RecordLog.open(path)).records).toHaveLength(21)
  })

  it('cuts a torn or corrupted tail off and keeps exactly the intact prefix (property)', async () => {
    const path = join(dir, 'torn.log')
    const { log } = await RecordLog.open(path)
    for (let i = 0; i < 30; i++) void log.append(record(i))
    await log.close()
    const whole = await readFile(path)
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: whole.length }), fc.boolean(), async (cut, corrupt) => {
        const bytes = Buffer.from(whole.subarray(0, cut))
        if (corrupt && bytes.length > 0) bytes[bytes.length - 1]! ^= 0xff
        await writeFile(path, bytes)
        const { log, records, } = await RecordLog.open(path)
        await log.close()
        const expected = Array.from({ length: records.length }, (_, i) => text(record(i)))
        return records.map(text).join('|') === expected.join('|') && (await stat(path)).size === log.bytes
      }),
      { numRuns: 60 },
    )
  })

  it('keeps every flushed record when the writer is killed with SIGKILL mid-stream', async () => {
    for (let trial = 0; trial < 3; trial++) {
      const path = join(dir, `killed-${trial}.log`)
      const script = `
        import { RecordLog } from ${JSON.stringify(new URL('../../src/core/ledger/record-log.ts', import.meta.url).pathname)}
        const { log } = await RecordLog.open(${JSON.stringify(path)})
        for (let i = 0; ; i++) {
          void log.append(new TextEncoder().encode('record ' + i + ' '.repeat(i % 300)))
          if (i % 10 === 9) { await log.flush(); process.stdout.write(String(i + 1) + '\\n') }
        }`
      // node itself (not the tsx wrapper, whose child would outlive the kill) with tsx's loader.
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
      let flushed = 0
      child.stdout.on('data', (d: Buffer) => {
        const last = d.toString().trim().split('\n').at(-1)
        if (last) flushed = Number(last)
      })
      await new Promise((r) => setTimeout(r, 700 + trial * 400))
      child.kill('SIGKILL')
      await new Promise((r) => child.once('close', r))
      const { log, records } = await RecordLog.open(path)
      await log.close()
      expect(flushed).toBeGreaterThan(0)
      expect(records.length).toBeGreaterThanOrEqual(flushed)
      records.forEach((r, i) => expect(text(r)).toBe('record ' + i + ' '.repeat(i % 300)))
      await truncate(path, 0)
    }
  }, 30_000)
})
