/**
 * A real-process organism for one test file: on a slot of ports no other test
 * run holds (test/helpers/port-slots.ts), with a scratch directory, torn down
 * after the file's tests (nodes killed, homes and scratch removed, and a word
 * about any node that died on its own).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { ProcessOrganism } from '../../scripts/lib/process-organism.js'
import { reservePortSlot } from '../helpers/port-slots.js'

export async function processOrganismForFile(name: string, env: Record<string, string>): Promise<{ organism: ProcessOrganism; work: string }> {
  const slot = await reservePortSlot()
  const organism = new ProcessOrganism(slot.portBaseAt(slot.first), env)
  const work = await mkdtemp(join(tmpdir(), `borg-${name}-e2e-`))
  afterAll(async () => {
    const deaths = organism.deathReport()
    if (deaths) console.error(`nodes that died on their own:\n${deaths}`)
    await organism.stopAll()
    await slot.release()
    await rm(work, { recursive: true, force: true })
  })
  return { organism, work }
}
