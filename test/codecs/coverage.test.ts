/**
 * Every kind a node with every cell type handles has a codec, and every codec
 * table is run through the properties of harness.ts by a test of its own.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CELL_TYPES } from '../../src/cells/registry.js'
import { CRONO_CODECS } from '../../src/cells/crono/messages.js'
import { FILES_CODECS } from '../../src/cells/files/messages.js'
import { FSTREAM_CODECS } from '../../src/cells/fstream/messages.js'
import { LEDGER_CODECS } from '../../src/cells/ledger/messages.js'
import { MAIL_CODECS } from '../../src/cells/mail/messages.js'
import { SHARD_CODECS } from '../../src/cells/shard/messages.js'
import type { AnyCodec } from '../../src/core/codec/codec.js'
import { BENCH_CODECS } from '../../src/core/bench/bench-server.js'
import { OS_ASSIGNED_PORTS } from '../../src/core/node/cell-instance.js'
import { NODE_CODECS } from '../../src/core/node/messages.js'
import { OrganismNode } from '../../src/core/node/organism-node.js'
import { STREAM_CODECS } from '../../src/core/stream/messages.js'
import { RECORDS_CODECS } from '../../src/core/records/messages.js'
import { TREE_CODECS } from '../../src/core/tree/codec.js'

/** Each table and the name its test gives it (test/codecs/<name>.test.ts). */
const TABLES: Record<string, { table: Record<string, AnyCodec>; exported: string }> = {
  tree: { table: TREE_CODECS, exported: 'TREE_CODECS' },
  node: { table: NODE_CODECS, exported: 'NODE_CODECS' },
  shard: { table: SHARD_CODECS, exported: 'SHARD_CODECS' },
  files: { table: FILES_CODECS, exported: 'FILES_CODECS' },
  stream: { table: STREAM_CODECS, exported: 'STREAM_CODECS' },
  crono: { table: CRONO_CODECS, exported: 'CRONO_CODECS' },
  fstream: { table: FSTREAM_CODECS, exported: 'FSTREAM_CODECS' },
  ledger: { table: LEDGER_CODECS, exported: 'LEDGER_CODECS' },
  bench: { table: BENCH_CODECS, exported: 'BENCH_CODECS' },
  records: { table: RECORDS_CODECS, exported: 'RECORDS_CODECS' },
  mail: { table: MAIL_CODECS, exported: 'MAIL_CODECS' },
}
const kindsOf = (table: Record<string, AnyCodec>) => new Set(Object.values(table).map((c) => c.kind))
const tested = new Set(Object.values(TABLES).flatMap(({ table }) => [...kindsOf(table)]))

let home = ''
let node: OrganismNode | undefined
afterAll(async () => {
  await node?.stop()
  if (home) await rm(home, { recursive: true, force: true })
})

describe('message codecs', () => {
  it('every table has its property test', () => {
    const here = new URL('.', import.meta.url)
    const files = readdirSync(here).filter((f) => f.endsWith('.test.ts'))
    for (const [name, { exported }] of Object.entries(TABLES)) {
      expect(files, `test/codecs/${name}.test.ts`).toContain(`${name}.test.ts`)
      expect(readFileSync(new URL(`${name}.test.ts`, here), 'utf8')).toContain(`describeCodecs('${name}', ${exported},`)
    }
  })

  it("every cell type lists its codecs, all of them tested", () => {
    for (const cell of CELL_TYPES) {
      expect(Object.keys(cell.codecs).length, cell.dna.name).toBeGreaterThan(0)
      for (const codec of Object.values(cell.codecs)) expect(tested.has(codec.kind), `${cell.dna.name}: ${codec.kind}`).toBe(true)
    }
  })

  it('every kind a node with every cell type handles has a codec', async () => {
    home = await mkdtemp(join(tmpdir(), 'borg-codecs-'))
    node = await OrganismNode.start({ home, cells: [...CELL_TYPES], contacts: [], portBase: OS_ASSIGNED_PORTS, bindHost: '127.0.0.1', advertiseHost: '127.0.0.1' })
    const missing: string[] = []
    for (const cell of node.cells) {
      const type = CELL_TYPES.find((c) => c.dna.name === cell.name)!
      const known = new Set([...kindsOf(TREE_CODECS), ...kindsOf(NODE_CODECS), ...kindsOf(RECORDS_CODECS), ...kindsOf(type.codecs)])
      for (const router of [cell.netRouter, cell.receptorRouter]) {
        for (const [kind] of router.rules()) if (!known.has(kind)) missing.push(`${cell.name}: ${kind}`)
      }
    }
    expect([...new Set(missing)]).toEqual([])
  }, 30_000)
})
