import { BorgError } from '../errors.js'
import type { CellType } from './types.js'

/** A cell's ports shifted by --port-base (so many nodes fit on one machine). */
export function cellPorts(cell: CellType, portBase: number): { net: number; recp: number; mon: number } {
  const { netPort, recpPort, monPort } = cell.dna
  const shifted = { net: netPort + portBase, recp: recpPort + portBase, mon: monPort + portBase }
  for (const port of Object.values(shifted)) {
    if (port < 1 || port > 65535) throw new BorgError('usage', `--port-base ${portBase} puts a ${cell.dna.name} port at ${port}, outside 1..65535`)
  }
  return shifted
}

/**
 * Added to every DNA port (--port-base), or OS_ASSIGNED_PORTS: each port is
 * picked by the operating system when the cell listens, so cells in one
 * process never collide (in-process tests). The card then advertises the bound
 * address, so the bind and advertise hosts must be the same.
 */
export type PortBase = number | typeof OS_ASSIGNED_PORTS
export const OS_ASSIGNED_PORTS = 'os-assigned'
