/**
 * docs/protocol.md §5.1 and §6.4 state the sender rule of every kind a node
 * with every cell type handles, on each port, exactly as its routers hold them.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { CELL_TYPES } from '../../src/cells/registry.js'
import { OS_ASSIGNED_PORTS } from '../../src/core/node/cell-instance.js'
import { OrganismNode } from '../../src/core/node/organism-node.js'

const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8')
let home = ''
let node: OrganismNode | undefined
afterAll(async () => {
  await node?.stop()
  if (home) await rm(home, { recursive: true, force: true })
})

describe('every kind a node handles has its sender rule in docs/protocol.md', () => {
  it('as the routers of a node with every cell type hold it', async () => {
    home = await mkdtemp(join(tmpdir(), 'borg-rules-'))
    node = await OrganismNode.start({ home, cells: [...CELL_TYPES], contacts: [], portBase: OS_ASSIGNED_PORTS, bindHost: '127.0.0.1', advertiseHost: '127.0.0.1' })
    const rules = new Map<string, { rule: string; ports: Set<string> }>()
    for (const cell of node.cells) {
      for (const [port, router] of [['net', cell.netRouter], ['receptor', cell.receptorRouter]] as const) {
        for (const [kind, rule] of router.rules()) {
          const entry = rules.get(kind) ?? { rule, ports: new Set<string>() }
          expect(entry.rule, `${kind} has one rule on every port and cell`).toBe(rule)
          entry.ports.add(port)
          rules.set(kind, entry)
        }
      }
    }
    expect(rules.size).toBeGreaterThan(40)
    const missing: string[] = []
    for (const [kind, { rule, ports }] of rules) {
      const row = kind.startsWith('tree.') ? `| \`${kind}\` | ${rule} |` : `| \`${kind}\` | ${[...ports].sort().join(', ')} | ${rule} |`
      if (!doc.includes(row)) missing.push(row)
    }
    expect(missing).toEqual([])
  }, 30_000)
})
