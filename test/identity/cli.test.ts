/**
 * `borg id new|restore|show` end to end: in-process through oclif (stdout
 * captured, SecretInput injected) and once as a real child process with the
 * words piped on stdin.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Config } from '@oclif/core'
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { terminal } from '../../src/cli/prompt.js'
import { ExitCode } from '../../src/core/errors.js'
import { loadConfig } from '../../src/main.js'
import { ABANDON_ABOUT, fakeInput } from './fake-input.js'

const REPO = fileURLToPath(new URL('../..', import.meta.url))

interface Run {
  stdout: string
  stderr: string
  exit: number
}

let config: Config
let home: string
beforeAll(async () => void (config = await loadConfig()))
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'borg-id-cli-'))
  vi.stubEnv('BORG_HOME', home)
  vi.stubEnv('BORG_PASSPHRASE', 'test passphrase')
  vi.stubEnv('BORG_KDF_FAST', '1')
  vi.stubEnv('NO_COLOR', '1')
})
afterEach(async () => {
  vi.unstubAllEnvs()
  vi.restoreAllMocks()
  await rm(home, { recursive: true, force: true })
})

/** Runs one command in-process; `stdin` is what the injected terminal "pipes" in. */
async function run(id: string, argv: string[], stdin?: string): Promise<Run> {
  vi.spyOn(terminal, 'open').mockReturnValue(fakeInput({ stdin }))
  const out: string[] = []
  const err: string[] = []
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => out.push(String(chunk)) > 0),
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => err.push(String(chunk)) > 0),
  ]
  let exit: number = ExitCode.ok
  try {
    await config.runCommand(id, argv)
  } catch (error) {
    const code = (error as { oclif?: { exit?: number } }).oclif?.exit
    if (code === undefined) throw error
    exit = code
  } finally {
    for (const spy of spies) spy.mockRestore()
  }
  return { stdout: out.join(''), stderr: err.join(''), exit }
}

/** Runs `task` with process.stdout claiming to be a terminal. */
async function onTerminal<T>(task: () => Promise<T>): Promise<T> {
  const had = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY')
  Object.defineProperty(process.stdout, 'isTTY', { value: true, configurable: true })
  try {
    return await task()
  } finally {
    if (had) Object.defineProperty(process.stdout, 'isTTY', had)
    else delete (process.stdout as { isTTY?: boolean }).isTTY
  }
}

describe('borg id (in-process)', () => {
  it('id new --json and id show --json agree', async () => {
    const created = await run('id:new', ['--json'])
    expect(created.exit).toBe(0)
    const made = JSON.parse(created.stdout)
    expect(made.mnemonic.split(' ')).toHaveLength(24)
    expect(made.address).toMatch(/^D[1-9A-HJ-NP-Za-km-z]{33}$/)
    const shown = JSON.parse((await run('id:show', ['--json'])).stdout)
    for (const field of ['address', 'publicKey', 'path', 'created', 'keystore']) expect(shown[field]).toBe(made[field])
    expect(shown.nodeId).toBeNull()
    expect(JSON.stringify(shown)).not.toContain(made.mnemonic.split(' ')[0] + ' ' + made.mnemonic.split(' ')[1])
  })

  it('id restore from the same words gives the same identity', async () => {
    const made = JSON.parse((await run('id:new', ['--json'])).stdout)
    await rm(join(home, 'identity.json'))
    const restored = await run('id:restore', ['--json'], `${made.mnemonic}\n`)
    expect(restored.exit).toBe(0)
    expect(JSON.parse(restored.stdout)).toMatchObject({ address: made.address, publicKey: made.publicKey })
  })

  it('id new twice exits 6 (exists); --force replaces', async () => {
    expect((await run('id:new', ['--json'])).exit).toBe(0)
    const again = await run('id:new', ['--json'])
    expect(again.exit).toBe(ExitCode.exists)
    expect(JSON.parse(again.stdout).error.code).toBe('exists')
    expect((await run('id:new', ['--json', '--force'])).exit).toBe(0)
  })

  it('human id new: words on stdout only, the warning on stderr', async () => {
    const result = await onTerminal(() => run('id:new', []))
    expect(result.exit).toBe(0)
    expect(result.stdout).toMatch(/^ +1\. [a-z]+ +2\. [a-z]+ +3\. [a-z]+ +4\. [a-z]+$/m)
    expect(result.stdout).toMatch(/^ +21\. [a-z]+ +22\. [a-z]+ +23\. [a-z]+ +24\. [a-z]+$/m)
    expect(result.stdout).toMatch(/^address +D/m)
    expect(result.stderr).toMatch(/Write them down/)
    const firstWord = /1\. ([a-z]+)/.exec(result.stdout)![1]!
    expect(result.stderr).not.toMatch(new RegExp(`\\b1\\. ${firstWord}\\b`))
  })

  it('id new > words.txt, then id restore < words.txt: stdout not a terminal gets the words alone, the address goes to stderr', async () => {
    const made = await run('id:new', [])
    expect(made.exit).toBe(0)
    expect(made.stdout).toMatch(/^[a-z]+( [a-z]+){23}\n$/)
    const address = /^address +(D\S+)/m.exec(made.stderr)![1]
    await rm(join(home, 'identity.json'))
    const restored = await run('id:restore', [], made.stdout)
    expect(restored.exit).toBe(0)
    expect(restored.stdout).toContain(address)
  })

  it('human id restore accepts the numbered list id new printed', async () => {
    const made = await onTerminal(() => run('id:new', []))
    const words = made.stdout.split('\n').filter((l) => /^ +\d+\./.test(l)).join('\n')
    const address = /^address +(D\S+)/m.exec(made.stdout)![1]
    await rm(join(home, 'identity.json'))
    const restored = await run('id:restore', [], words)
    expect(restored.exit).toBe(0)
    expect(restored.stdout).toContain(address)
  })

  it('a misspelt word exits 2 with position and suggestion', async () => {
    const result = await run('id:restore', [], ABANDON_ABOUT.replace('about', 'abuot'))
    expect(result.exit).toBe(ExitCode.usage)
    expect(result.stderr).toMatch(/word 12 "abuot" \(did you mean "about"/)
  })

  it('id show --verify with the wrong passphrase exits 5; without an identity exits 3', async () => {
    expect((await run('id:show', ['--json'])).exit).toBe(ExitCode.notFound)
    await run('id:restore', ['--json'], ABANDON_ABOUT)
    vi.stubEnv('BORG_PASSPHRASE', 'wrong')
    const result = await run('id:show', ['--verify', '--json'])
    expect(result.exit).toBe(ExitCode.verificationFailed)
    expect(JSON.parse(result.stdout).error.code).toBe('wrong-passphrase')
    vi.stubEnv('BORG_PASSPHRASE', 'test passphrase')
    expect(JSON.parse((await run('id:show', ['--verify', '--json'])).stdout).verified).toBe(true)
  })
})

describe('borg id restore (child process, words piped on stdin)', () => {
  it('restores the published Dogecoin address', async () => {
    const env = { ...process.env, BORG_HOME: home, BORG_PASSPHRASE: 'pw', BORG_KDF_FAST: '1', NO_COLOR: '1' }
    const result = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(join(REPO, 'node_modules', '.bin', 'tsx'), ['src/cli.ts', 'id', 'restore', '--json'], { cwd: REPO, env })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
      child.on('error', reject)
      child.on('close', (status) => resolve({ status, stdout, stderr }))
      child.stdin.end(`${ABANDON_ABOUT}\n`)
    })
    expect(result.stderr).not.toMatch(/error/)
    expect(result.status).toBe(0)
    expect(JSON.parse(result.stdout).address).toBe('DBus3bamQjgJULBJtYXpEzDWQRwF5iwxgC')
  })
})
