/**
 * One real `borg node join --cells all --foreground` process for attack
 * benches: its own BORG_HOME and port base on 127.0.0.1, its memory read from
 * /proc/PID/status (VmRSS now, VmHWM the peak since the last reset).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect } from 'node:tls'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface NodeUnderTest {
  pid: number
  home: string
  portBase: number
  /** A cell's port shifted by the port base. */
  port(dnaPort: number): number
  /** Resident set now, MB. */
  rssMb(): number
  /** Peak resident set since start or the last resetPeak(), MB. */
  peakMb(): number
  resetPeak(): void
  /** The node's own log lines (stderr), for when something goes wrong. */
  log: string[]
  alive(): boolean
  stop(): Promise<void>
}

function statusKb(pid: number, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match ? Number(match[1]) : NaN
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** `entry`: the borg CLI to run (a bin/borg.js or a bundle), under the same node as this script. */
export async function startNode(entry: string, portBase: number, env: Record<string, string> = {}, readyPort = 13355): Promise<NodeUnderTest> {
  const home = await mkdtemp(join(tmpdir(), 'borg-attack-node-'))
  const child: ChildProcess = spawn(process.execPath, [entry, 'node', 'join', '--host', '127.0.0.1', '--cells', 'all', '--foreground', '--port-base', String(portBase)], {
    env: { ...process.env, BORG_HOME: home, BORG_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  const log: string[] = []
  child.stderr!.on('data', (d: Buffer) => {
    log.push(...d.toString().split('\n').filter(Boolean))
    if (log.length > 200) log.splice(0, log.length - 200)
  })
  let exited = false
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())))
  const pid = child.pid!
  const deadline = Date.now() + 60_000
  while (!(await canConnect(readyPort + portBase))) {
    if (exited) throw new Error(`node exited while starting:\n${log.join('\n')}`)
    if (Date.now() > deadline) throw new Error(`node did not listen within 60 s:\n${log.join('\n')}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  return {
    pid,
    home,
    portBase,
    log,
    port: (dnaPort) => dnaPort + portBase,
    rssMb: () => statusKb(pid, 'VmRSS') / 1024,
    peakMb: () => statusKb(pid, 'VmHWM') / 1024,
    resetPeak: () => {
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5') // resets VmHWM to the current RSS
      } catch {
        // kernels without it: the peak then includes start-up
      }
    },
    alive: () => !exited,
    stop: async () => {
      if (!exited) {
        child.kill('SIGTERM')
        const killer = setTimeout(() => child.kill('SIGKILL'), 5_000)
        await exit
        clearTimeout(killer)
      }
      await rm(home, { recursive: true, force: true })
    },
  }
}
