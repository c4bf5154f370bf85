import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { PinSet } from '../../src/cells/shard/pins.js'
import { silentLogger } from '../../src/core/log.js'

const a = 'aa'.repeat(32)
const b = 'bb'.repeat(32)
const shared = 'cc'.repeat(32)
const file1 = '11'.repeat(32)
const file2 = '22'.repeat(32)

describe('PinSet', () => {
  let dir = ''
  beforeEach(async () => void (dir = await mkdtemp(join(tmpdir(), 'borg-pins-'))))
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('keeps a chunk while any pinned file names it, and survives a restart', async () => {
    const pins = new PinSet(dir, silentLogger)
    await pins.open()
    await pins.pin(file1, [a, shared, shared])
    await pins.pin(file2, [b, shared])
    expect([pins.holds(a), pins.holds(b), pins.holds(shared), pins.count]).toEqual([true, true, true, 2])
    expect(await pins.unpin(file1)).toBe(true)
    expect([pins.holds(a), pins.holds(shared)]).toEqual([false, true])
    const again = new PinSet(dir, silentLogger)
    await again.open()
    expect([again.has(file1), again.has(file2), again.holds(shared), again.holds(a)]).toEqual([false, true, true, false])
    expect(await again.unpin(file1)).toBe(false)
  })

  it('starts empty (and says so) when pins.json is unreadable, keeping only well-formed entries otherwise', async () => {
    await writeFile(join(dir, 'pins.json'), '{not json')
    const broken = new PinSet(dir, silentLogger)
    await broken.open()
    expect(broken.count).toBe(0)
    await writeFile(join(dir, 'pins.json'), JSON.stringify({ [file1]: [a], '../../etc/passwd': [a], [file2]: ['nope'] }))
    const partial = new PinSet(dir, silentLogger)
    await partial.open()
    expect(partial.ids()).toEqual([file1])
  })
})
