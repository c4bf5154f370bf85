/**
 * `borg node join` without --foreground: start the same command with
 * --foreground as a detached process (output to $BORG_HOME/node/node.log) and
 * return once it has written running.json.
 */
import { spawn } from 'node:child_process'
import { mkdir, open } from 'node:fs/promises'
import { join } from 'node:path'
import { BorgError } from '../errors.js'
import { selfCommand } from '../process/self-command.js'
import { readRunning, type RunningNode } from './running-file.js'

export async function startInBackground(home: string, argv: string[], waitMs = 30_000): Promise<RunningNode & { log: string }> {
  const log = join(home, 'node', 'node.log')
  await mkdir(join(home, 'node'), { recursive: true, mode: 0o700 })
  const out = await open(log, 'a', 0o600)
  const self = selfCommand()
  const child = spawn(self.command, [...self.args, 'node', 'join', ...argv.filter((a) => a !== '--json'), '--foreground'], {
    detached: true,
    stdio: ['ignore', out.fd, out.fd],
    env: { ...process.env, BORG_HOME: home },
  })
  child.unref()
  await out.close()
  let exited: number | null = null
  child.once('exit', (code) => (exited = code ?? 1))
  const deadline = Date.now() + waitMs
  while (Date.now() < deadline) {
    if (exited !== null) throw new BorgError('unavailable', `the node exited with status ${exited} while starting; see ${log}`)
    const running = await readRunning(home).catch(() => undefined)
    if (running && running.pid === child.pid) return { ...running, log }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new BorgError('timeout', `the node did not come up within ${waitMs / 1000} s; see ${log}`)
}
