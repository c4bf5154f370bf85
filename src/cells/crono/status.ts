/**
 * What `borg node time` shows: the time organ's status, read in-process
 * (timeStatusOf), from a monitor's status JSON (parseTimeStatus), and as text
 * (formatTimeStatus).
 */
import type { Organ } from '../../core/cell/types.js'

export interface TimeStatus {
  /** This node's network time when the status was taken, ms since the epoch. */
  nowMs: number
  /** Network time minus the local clock, ms. */
  offsetMs: number
  /** Error bound of network time here against the root's clock, ms; null while unsynchronised. */
  boundMs: number | null
  synced: boolean
  /** 'root' on the root, else the node id of the parent the time came from; null while unsynchronised. */
  source: 'root' | string | null
  /** Node id of the root whose clock is the network time followed. */
  root: string | null
  /** That root's network time, whole ms, when it became root ((root, era) names the network time). */
  era: number | null
  /** Hops from that root. */
  stratum: number | null
  /** Samples kept from the current parent lineage. */
  samples: number
  /** Since the sample in use was taken, ms; null on the root and while unsynchronised. */
  lastSyncAgoMs: number | null
  /** On a root that took over from another: the old network time, and how far its clock could be from it then. */
  inherited: { root: string; era: number; boundMs: number } | null
  counters: TimeCounters
}

export interface TimeCounters {
  exchanges: number
  failures: number
  /** Replies from a parent that had no time to give. */
  unsyncedParent: number
  outliers: number
  /** Samples refused as an absurd step. */
  refused: number
  /** Steps of the local clock detected and cancelled. */
  localSteps: number
  /** Their sum, ms: the local clock moved this far and network time did not (the offset moved the other way). */
  localStepsMs: number
}

/** The time organ's status among a node's organs (the crono cell's 'time' organ). */
export function timeStatusOf(organs: readonly Organ[]): TimeStatus | undefined {
  const organ = organs.find((o): o is Organ & { timeStatus(): TimeStatus } => o.name === 'time' && typeof (o as { timeStatus?: unknown }).timeStatus === 'function')
  return organ?.timeStatus()
}

/** Read a TimeStatus back from JSON (e.g. `organs.time` of a monitor's status); undefined when it is not one. */
export function parseTimeStatus(value: unknown): TimeStatus | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const v = value as Record<string, unknown>
  const numberOrNull = (x: unknown) => x === null || typeof x === 'number'
  const ok =
    typeof v.nowMs === 'number' &&
    typeof v.offsetMs === 'number' &&
    numberOrNull(v.boundMs) &&
    typeof v.synced === 'boolean' &&
    (v.source === null || typeof v.source === 'string') &&
    (v.root === null || typeof v.root === 'string') &&
    numberOrNull(v.era) &&
    numberOrNull(v.stratum) &&
    typeof v.samples === 'number' &&
    numberOrNull(v.lastSyncAgoMs) &&
    typeof v.counters === 'object' &&
    v.counters !== null
  return ok ? (value as TimeStatus) : undefined
}

export function formatTimeStatus(s: TimeStatus): string {
  const ms = (x: number) => `${x.toFixed(3)} ms`
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${ms(x)}`
  const short = (id: string) => (id.length > 16 ? `${id.slice(0, 16)}…` : id)
  const lines = [`network time  ${new Date(s.nowMs).toISOString()}`, `offset        ${signed(s.offsetMs)} (network time − local clock)`]
  if (!s.synced || s.boundMs === null) {
    lines.push('bound         none: not synchronised yet (network time is the local clock plus the offset above)')
  } else {
    lines.push(`bound         ±${ms(s.boundMs)}`)
    const source = s.source === 'root' ? 'this node is the root (its clock is network time)' : `parent ${short(s.source ?? '?')}`
    lines.push(`source        ${source}`)
    lines.push(`stratum       ${s.stratum}${s.root && s.source !== 'root' ? ` (root ${short(s.root)})` : ''}`)
    if (s.era !== null) lines.push(`era           ${new Date(s.era).toISOString()} (when that root took over)`)
    if (s.lastSyncAgoMs !== null) lines.push(`last sample   ${(s.lastSyncAgoMs / 1000).toFixed(1)} s ago (${s.samples} kept)`)
  }
  if (s.inherited) lines.push(`took over     from root ${short(s.inherited.root)} within ±${ms(s.inherited.boundMs)}`)
  const c = s.counters
  lines.push(`exchanges     ${c.exchanges} (${c.failures} failed, ${c.unsyncedParent} parent unsynced, ${c.outliers} outliers, ${c.refused} refused, ${c.localSteps} local clock steps${c.localSteps ? ` of ${signed(c.localStepsMs ?? 0)} in all` : ''})`)
  return lines.join('\n')
}
