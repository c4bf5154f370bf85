/**
 * What network time must satisfy at every instant, checked from outside (the
 * simulator tests, the loopback test): a node's true error against the
 * network time it follows never exceeds the bound it states, and its status
 * is coherent (a bound only when synced, stratum 0 exactly on the root, strata
 * within MAX_STRATUM). Each violation is one line of text.
 */
import { MAX_STRATUM } from '../../src/cells/crono/messages.js'
import type { TimeStatus } from '../../src/cells/crono/status.js'

export interface TimeObservation {
  /** Who, for the message (e.g. `node 7 (depth 2)`). */
  label: string
  status: Pick<TimeStatus, 'synced' | 'boundMs' | 'stratum' | 'source' | 'root' | 'era'>
  /** The node's network time minus the network time it follows, ms (known in a simulation); undefined while unsynced. */
  errorMs: number | undefined
}

export function checkTime(readings: readonly TimeObservation[], at = ''): string[] {
  const problems: string[] = []
  const where = (r: TimeObservation) => `${at ? `${at} ` : ''}${r.label}`
  for (const r of readings) {
    const s = r.status
    if (!s.synced) {
      if (s.boundMs !== null) problems.push(`${where(r)}: unsynchronised but states a bound of ${s.boundMs} ms`)
      continue
    }
    if (s.boundMs === null || !(s.boundMs >= 0 && s.boundMs < Infinity)) problems.push(`${where(r)}: synchronised without a finite bound (${s.boundMs})`)
    if (s.stratum === null || !Number.isInteger(s.stratum) || s.stratum < 0 || s.stratum > MAX_STRATUM) problems.push(`${where(r)}: stratum ${s.stratum} outside 0..${MAX_STRATUM}`)
    else if ((s.stratum === 0) !== (s.source === 'root')) problems.push(`${where(r)}: stratum ${s.stratum} with source ${s.source}`)
    if (s.root === null || s.era === null) problems.push(`${where(r)}: synchronised without naming the network time it follows`)
    if (r.errorMs !== undefined && s.boundMs !== null && !(Math.abs(r.errorMs) <= s.boundMs)) {
      problems.push(`${where(r)} (stratum ${s.stratum}): |error| ${Math.abs(r.errorMs).toFixed(4)} ms > bound ${s.boundMs.toFixed(4)} ms`)
    }
  }
  return problems
}

/** A converged network has one network time: every synchronised node follows the same (root, era). */
export function checkOneNetworkTime(readings: readonly TimeObservation[]): string[] {
  const lineages = new Map<string, number>()
  for (const r of readings) if (r.status.synced) lineages.set(`${r.status.root}@${r.status.era}`, (lineages.get(`${r.status.root}@${r.status.era}`) ?? 0) + 1)
  return lineages.size <= 1 ? [] : [`${lineages.size} network times followed: ${[...lineages].map(([k, n]) => `${k.slice(0, 12)}… by ${n}`).join(', ')}`]
}
