/**
 * `borg node join` without --foreground: start the same command with
 * --foreground as a detached process (output to $BORG_HOME/node/node.log) and
 * return once it has written running.json. When it fails to start instead, it
 * leaves its error (code and message) in a report file, so this command ends
 * with the same reason and exit status as a --foreground run would.
 */
import { spawn } from 'node:child_process'
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { BorgError, isErrorCode } from '../errors.js'
import { selfCommand } from '../process/self-command.js'
import { readRunning, type RunningNode } from './running-file.js'

/** Set in the background child's environment: where to write why it could not start. */
export const START_REPORT_ENV = 'BORG_START_REPORT'

export interface StartFailure {
  code: string
  message: string
  details?: Record<string, unknown>
}

export async function startInBackground(home: string, argv: string[], waitMs = 30_000): Promise<RunningNode & { log: string }> {
  const log = join(home, 'node', 'node.log')
  const report = join(home, 'node', 'start-failure.json')
  await mkdir(join(home, 'node'), { recursive: true, mode: 0o700 })
  await rm(report, { force: true })
  const out = await open(log, 'a', 0o600)
  const self = selfCommand()
  const child = spawn(self.command, [...self.args, 'node', 'join', ...argv.filter((a) => a !== '--json'), '--foreground'], {
    detached: true,
    stdio: ['ignore', out.fd, out.fd],
    env: { ...process.env, BORG_HOME: home, [START_REPORT_ENV]: report },
  })
  child.unref()
  await out.close()
  let exited: number | null = null
  child.once('exit', (code) => (exited = code ?? 1))
  const deadline = Date.now() + waitMs
  while (Date.now() < deadline) {
    if (exited !== null) throw await startFailure(report, exited, log)
    const running = await readRunning(home).catch(() => undefined)
    if (running && running.pid === child.pid) return { ...running, log }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new BorgError('timeout', `the node did not come up within ${waitMs / 1000} s; see ${log}`)
}

/** In the background child: leave the reason for a failed start where the waiting command reads it. */
export async function reportStartFailure(failure: StartFailure): Promise<void> {
  const path = process.env[START_REPORT_ENV]
  if (path) await writeFile(path, `${JSON.stringify({ error: failure })}\n`, { mode: 0o600 }).catch(() => {})
}

/** The child's own error when it left one; otherwise its exit status and the end of its log. */
async function startFailure(report: string, status: number, log: string): Promise<BorgError> {
  const text = await readFile(report, 'utf8').catch(() => '')
  await rm(report, { force: true })
  try {
    const { error } = JSON.parse(text) as { error?: Partial<StartFailure> }
    if (isErrorCode(error?.code) && typeof error.message === 'string') {
      return new BorgError(error.code, error.message, { details: { ...error.details, log } })
    }
  } catch {
    // no report (the process died before it could write one): fall through
  }
  const tail = await logTail(log)
  return new BorgError('unavailable', `the node exited with status ${status} while starting; see ${log}${tail ? `. Its last lines:\n${tail}` : ''}`, { details: { status, log } })
}

/** The last few lines of the log (read from its end: the log grows with every run). */
async function logTail(log: string, lines = 5, bytes = 4096): Promise<string> {
  const file = await open(log, 'r').catch(() => undefined)
  if (!file) return ''
  try {
    const { size } = await file.stat()
    const buffer = Buffer.alloc(Math.min(bytes, size))
    await file.read(buffer, 0, buffer.length, size - buffer.length)
    return buffer.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } finally {
    await file.close()
  }
}
