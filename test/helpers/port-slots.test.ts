import { describe, expect, it } from 'vitest'
import { createServer } from 'node:net'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { LOCK_DIR, reservePortSlot, SLOT_PORTS } from './port-slots.js'

describe('reservePortSlot', () => {
  it('gives concurrent reservations separate slots below the ephemeral range, each port free', async () => {
    const slots = await Promise.all([reservePortSlot(), reservePortSlot(), reservePortSlot()])
    try {
      const firsts = slots.map((s) => s.first)
      expect(new Set(firsts).size).toBe(3)
      for (const s of slots) {
        expect(s.end - s.first).toBe(SLOT_PORTS)
        expect(s.end).toBeLessThanOrEqual(32768)
        expect(s.portBaseAt(s.first) + 13340).toBe(s.first) // the shard monitor port, the lowest DNA port
      }
    } finally {
      await Promise.all(slots.map((s) => s.release()))
    }
  })

  it('passes over a slot where another program holds a port, and a slot another run holds', async () => {
    const probe = await reservePortSlot()
    await expect(reservePortSlot([probe.first])).rejects.toThrow(/no free slot/) // locked by us
    await probe.release()
    const squatter = createServer()
    await new Promise<void>((resolve) => squatter.listen(probe.first + 500, '127.0.0.1', resolve))
    try {
      await expect(reservePortSlot([probe.first])).rejects.toThrow(/no free slot/)
    } finally {
      await new Promise((resolve) => squatter.close(resolve))
    }
    const again = await reservePortSlot([probe.first])
    expect(again.first).toBe(probe.first)
    await again.release()
  })

  it('takes over the lock of a run that died', async () => {
    const probe = await reservePortSlot()
    await probe.release()
    await writeFile(join(LOCK_DIR, `slot-${probe.first}`), String(2 ** 22 + 1)) // above any pid_max: no such process
    const again = await reservePortSlot([probe.first])
    expect(again.first).toBe(probe.first)
    await again.release()
  })
})
