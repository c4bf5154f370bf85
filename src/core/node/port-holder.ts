/**
 * When a port a node needs is taken: which one, and (where cheaply knowable)
 * by what. A borg node there answers with its signed card, which names it; on
 * Linux, /proc maps the listening socket to a process of this user. Both
 * looks are bounded: the user is waiting for an error message.
 */
import { readFile, readdir, readlink } from 'node:fs/promises'

export interface PortHolder {
  /** The borg node listening there, when it answered with its card. */
  nodeId?: string
  pid?: number
  command?: string
}

type Link = { code?: unknown; port?: unknown; details?: { port?: unknown }; cause?: unknown }

/**
 * The port of a listen() that failed because something else holds it: EADDRINUSE anywhere in the
 * cause chain; the port from node's errno or, under bun (whose errno names none), from the
 * listening server's error details.
 */
export function addressInUse(error: unknown): { port: number } | undefined {
  let inUse = false
  let port: number | undefined
  for (let e = error as Link | undefined, depth = 0; e && depth < 5; e = e.cause as Link | undefined, depth++) {
    if (e.code === 'EADDRINUSE') inUse = true
    if (typeof e.port === 'number') port = e.port
    else if (port === undefined && typeof e.details?.port === 'number') port = e.details.port
  }
  return inUse && port !== undefined ? { port } : undefined
}

/** "borg node ed12…, pid 4242 (borg)", or undefined when nothing could be learned. */
export function describeHolder(holder: PortHolder): string | undefined {
  const parts = []
  if (holder.nodeId) parts.push(`borg node ${holder.nodeId.slice(0, 16)}…`)
  if (holder.pid !== undefined) parts.push(`pid ${holder.pid}${holder.command ? ` (${holder.command})` : ''}`)
  return parts.length > 0 ? parts.join(', ') : undefined
}

const SCAN_BUDGET_MS = 300
const MAX_PROCESSES = 4096

/** The process of this user listening on a TCP port, from /proc (Linux); undefined elsewhere or when not found in budget. */
export async function listeningProcess(port: number, now: () => number = Date.now): Promise<{ pid: number; command?: string } | undefined> {
  const inodes = new Set<string>()
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '')
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/)
      // local_address is ADDR:PORT in hex; state 0A is LISTEN; the socket inode is field 9.
      const [, local, , state] = fields
      if (state === '0A' && local && Number.parseInt(local.split(':')[1] ?? '', 16) === port && fields[9] && fields[9] !== '0') inodes.add(`socket:[${fields[9]}]`)
    }
  }
  if (inodes.size === 0) return undefined
  const deadline = now() + SCAN_BUDGET_MS
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((name) => /^\d+$/.test(name)).slice(0, MAX_PROCESSES)
  for (const pid of pids) {
    if (now() > deadline) return undefined
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[])
    for (const fd of fds) {
      if (now() > deadline) return undefined
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')
      if (inodes.has(target)) {
        const command = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim()
        return { pid: Number(pid), command: command || undefined }
      }
    }
  }
  return undefined
}
