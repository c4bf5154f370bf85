/** Every cell type this build knows: adding one is one line here plus its folder. */
import { BorgError } from '../core/errors.js'
import { cronoCell } from './crono/index.js'
import { filesCell } from './files/index.js'
import { fstreamCell } from './fstream/index.js'
import { ledgerCell } from './ledger/index.js'
import { mailCell } from './mail/index.js'
import { shardCell } from './shard/index.js'
import type { CellType } from '../core/cell/types.js'

export const CELL_TYPES: readonly CellType[] = [shardCell, filesCell, fstreamCell, cronoCell, ledgerCell, mailCell]

export function cellType(name: string): CellType {
  const found = CELL_TYPES.find((c) => c.dna.name === name)
  if (!found) throw new BorgError('usage', `unknown cell type ${JSON.stringify(name)}; known: ${CELL_TYPES.map((c) => c.dna.name).join(', ')}`)
  return found
}

/** `all`, or a comma-separated list of names. */
export function parseCells(spec: string): CellType[] {
  if (spec.trim() === 'all') return [...CELL_TYPES]
  const names = [...new Set(spec.split(',').map((s) => s.trim()).filter(Boolean))]
  if (names.length === 0) throw new BorgError('usage', '--cells needs "all" or a list like shard,files,crono')
  return names.map(cellType)
}

export { cellPorts } from '../core/cell/ports.js'
