/**
 * Guards the oclif workaround in src/main.ts (an in-memory pjson plus a
 * pre-loaded Plugin whose private `commandCache` holds the command table) and
 * the CLI's usage contract: unknown commands and flags exit 2.
 */
import { Errors } from '@oclif/core'
import { beforeAll, describe, expect, it } from 'vitest'
import { BorgCommand } from '../../src/cli/base-command.js'
import { HELP_FLAGS } from '../../src/cli/route.js'
import { COMMANDS } from '../../src/commands/index.js'
import { ExitCode } from '../../src/core/errors.js'
import { dispatch, loadConfig } from '../../src/main.js'
import { TOPICS } from '../../src/oclif-pjson.js'
import { capture, runChild, type ChildResult } from './harness.js'
import { PROBE_TABLE } from './probe-command.js'

describe('oclif embedded config', () => {
  it('registers exactly the commands in COMMANDS', async () => {
    const config = await loadConfig()
    expect([...config.commandIDs].sort()).toEqual(Object.keys(COMMANDS).sort())
  })

  it('registers a non-empty table, so a renamed private commandCache cannot pass silently', async () => {
    const config = await loadConfig(PROBE_TABLE)
    // If @oclif/core renames Plugin.commandCache, oclif imports the explicit target instead and this fails.
    expect(config.commandIDs, 'Plugin.commandCache workaround in src/main.ts no longer works').toEqual(['id:probe'])
    expect(config.findCommand('id:probe')).toBeDefined()
  })

  it('root help lists every topic', async () => {
    const result = await capture(async () => dispatch(['--help'], await loadConfig()))
    expect(result.error).toBeUndefined()
    for (const topic of Object.keys(TOPICS)) expect(result.stdout).toMatch(new RegExp(`^  ${topic} `, 'm'))
  })

  it('runs a command in-process', async () => {
    const config = await loadConfig(PROBE_TABLE)
    const result = await capture(() => config.runCommand('id:probe', ['--count', '3', '--json']))
    expect(result.error).toBeUndefined()
    expect(JSON.parse(result.stdout)).toEqual({ count: 3 })
  })
})

describe('the command table', () => {
  // Loops rather than it.each: the table is empty until the first milestone's commands land.
  const entries = Object.entries(COMMANDS)

  it('every command extends BorgCommand (--json and the exit-code mapping)', () => {
    for (const [id, cmd] of entries) expect(cmd.prototype instanceof BorgCommand, id).toBe(true)
  })

  it('every command lives under a declared topic', () => {
    for (const [id] of entries) expect(Object.keys(TOPICS), id).toContain(id.split(':')[0])
  })

  it('no command uses -h, which is help everywhere', () => {
    for (const [id, cmd] of entries) {
      const chars = Object.values({ ...cmd.baseFlags, ...cmd.flags }).map((f) => f.char && `-${f.char}`)
      for (const flag of HELP_FLAGS) expect(chars, id).not.toContain(flag)
    }
  })
})

describe('usage errors', () => {
  it('an unknown flag on a command exits 2 with a clear message (in-process)', async () => {
    const config = await loadConfig(PROBE_TABLE)
    const result = await capture(() => dispatch(['id', 'probe', '--bogus'], config))
    expect(result.error).toBeInstanceOf(Errors.ExitError)
    expect((result.error as Errors.ExitError).oclif.exit).toBe(ExitCode.usage)
    expect(result.stderr).toMatch(/error:.*--bogus/)
  })

  it('an unknown flag with --json reports {"error":{code,message}} on stdout', async () => {
    const config = await loadConfig(PROBE_TABLE)
    const result = await capture(() => dispatch(['id', 'probe', '--bogus', '--json'], config))
    expect((result.error as Errors.ExitError).oclif.exit).toBe(ExitCode.usage)
    expect(JSON.parse(result.stdout)).toEqual({ error: { code: 'usage', message: expect.stringContaining('--bogus') } })
  })

  describe('as a child process (real exit statuses)', () => {
    const firstCommand = Object.keys(COMMANDS)[0]?.split(':')
    let unknownCommand: ChildResult
    let unknownRootFlag: ChildResult
    let unknownCommandFlag: ChildResult | undefined
    beforeAll(async () => {
      ;[unknownCommand, unknownRootFlag, unknownCommandFlag] = await Promise.all([
        runChild(['frobnicate']),
        runChild(['--frobnicate']),
        firstCommand ? runChild([...firstCommand, '--frobnicate']) : Promise.resolve(undefined),
      ])
    }, 60_000)

    it('an unknown command exits 2 and names it', () => {
      expect(unknownCommand.status).toBe(2)
      expect(unknownCommand.stderr).toMatch(/unknown command "frobnicate".*borg --help/)
      expect(unknownCommand.stdout).toBe('')
    })

    it('an unknown flag before any command exits 2', () => {
      expect(unknownRootFlag.status).toBe(2)
      expect(unknownRootFlag.stderr).toMatch(/unknown flag "--frobnicate"/)
    })

    it.skipIf(!firstCommand)('an unknown flag on a real command exits 2', () => {
      expect(unknownCommandFlag?.status).toBe(2)
      expect(unknownCommandFlag?.stderr).toMatch(/--frobnicate/)
    })
  })
})
