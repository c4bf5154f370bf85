/**
 * $BORG_HOME/node/running.json: what a running node listens on, so local
 * commands (`borg node status`, `leave`, `time`…) can find it. Removed on a
 * clean stop; a stale file (dead pid) is recognised and ignored.
 */
import type { PortMappingStatus } from './port-mapping.js'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { BorgError } from '../errors.js'
import { writeFileAtomic } from '../store/atomic-file.js'
import type { PortBase } from '../cell/ports.js'

export interface RunningCell {
  net: string
  recp: string
  mon: string
}

export interface RunningNode {
  pid: number
  nodeId: string
  startedAt: string
  version: string
  /** --port-base, or 'os-assigned' (every port picked by the OS: in-process tests). */
  portBase: PortBase
  cells: Record<string, RunningCell>
  /**
   * The same cells' endpoints for commands on this machine, when they differ from the advertised
   * ones: the bound address, or loopback for a node listening on every interface (an advertised
   * router address may not lead back inside).
   */
  local?: Record<string, RunningCell>
  /** Ports the router forwards to this node (UPnP or NAT-PMP), when it asked. */
  portMapping?: PortMappingStatus
  /** What the user should know about how the node started (contacts that failed, trees it founds). */
  warnings?: string[]
}

export const runningPath = (home: string): string => join(home, 'node', 'running.json')

export async function writeRunning(home: string, running: RunningNode): Promise<void> {
  await writeFileAtomic(runningPath(home), `${JSON.stringify(running, null, 2)}\n`, 0o644)
}

export async function removeRunning(home: string, pid = process.pid): Promise<void> {
  const current = await readRunningFile(home).catch(() => undefined)
  if (!current || current.pid === pid) await rm(runningPath(home), { force: true })
}

async function readRunningFile(home: string): Promise<RunningNode> {
  return JSON.parse(await readFile(runningPath(home), 'utf8')) as RunningNode
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The node running from this home, or a clear not-found error. */
export async function readRunning(home: string): Promise<RunningNode> {
  let running: RunningNode
  try {
    running = await readRunningFile(home)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new BorgError('not-found', `no node is running from ${home}; start one with \`borg node join\``)
    }
    throw new BorgError('not-found', `cannot read ${runningPath(home)}: ${(error as Error).message}`)
  }
  if (!alive(running.pid)) throw new BorgError('not-found', `the node that ran from ${home} (pid ${running.pid}) is gone; start one with \`borg node join\``)
  return running
}

/** Where a command on this machine reaches a cell of the running node. */
export function localCell(running: RunningNode, name: string): RunningCell | undefined {
  return running.local?.[name] ?? running.cells[name]
}
