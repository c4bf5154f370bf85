/**
 * Two ways to run borg in tests: in-process (fast; output captured from
 * console and process streams) and as a child process through tsx (~0.8 s
 * each, so only where the exit status itself is under test).
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { vi } from 'vitest'

export const REPO = fileURLToPath(new URL('../..', import.meta.url))

export interface Captured {
  stdout: string
  stderr: string
  error?: unknown
}

/** Runs fn with stdout/stderr captured; a thrown error is returned, not rethrown. */
export async function capture(fn: () => Promise<unknown>): Promise<Captured> {
  const out: string[] = []
  const err: string[] = []
  const spies = [
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(`${a.join(' ')}\n`)),
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(`${a.join(' ')}\n`)),
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => out.push(String(chunk)) > 0),
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => err.push(String(chunk)) > 0),
  ]
  try {
    await fn()
    return { stdout: out.join(''), stderr: err.join('') }
  } catch (error) {
    return { stdout: out.join(''), stderr: err.join(''), error }
  } finally {
    for (const spy of spies) spy.mockRestore()
  }
}

export interface ChildResult {
  status: number | null
  stdout: string
  stderr: string
}

/** `tsx src/cli.ts ...args`, or any command line when `command` is given. */
export function runChild(args: string[], opts: { env?: NodeJS.ProcessEnv; command?: string } = {}): Promise<ChildResult> {
  const [file, argv] = opts.command === undefined ? [`${REPO}node_modules/.bin/tsx`, ['src/cli.ts', ...args]] : [opts.command, args]
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { cwd: REPO, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (status) => resolve({ status, stdout, stderr }))
  })
}

/** The environment a user's shell would give: no colour overrides inherited from the test runner. */
export function plainEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const key of ['NO_COLOR', 'FORCE_COLOR', 'CI']) delete env[key]
  return { ...env, ...extra }
}
