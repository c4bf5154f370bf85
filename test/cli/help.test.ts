/**
 * borg's help: every topic on the root screen (with the ones still to come
 * marked), topic and command help through BorgHelp, and no colour with NO_COLOR
 * even on a terminal.
 */
import { spawnSync } from 'node:child_process'
import { beforeAll, describe, expect, it } from 'vitest'
import { BorgHelp, COMING_LATER } from '../../src/cli/help.js'
import { route } from '../../src/cli/route.js'
import { BorgError } from '../../src/core/errors.js'
import { dispatch, loadConfig } from '../../src/main.js'
import { PJSON, TOPICS } from '../../src/oclif-pjson.js'
import { versionInfo, versionLine } from '../../src/cli/version.js'
import { REPO, capture, plainEnv, runChild, type ChildResult } from './harness.js'
import { PROBE_TABLE } from './probe-command.js'

const ESC = '\u001b'

async function helpOutput(argv: string[], table = PROBE_TABLE): Promise<string> {
  const config = await loadConfig(table)
  const result = await capture(() => dispatch(argv, config))
  expect(result.error).toBeUndefined()
  expect(result.stderr).toBe('')
  return result.stdout
}

describe('root help', () => {
  it('lists every topic, marking those without commands', async () => {
    const out = await helpOutput(['--help'])
    for (const [name, { description }] of Object.entries(TOPICS)) {
      const line = out.split('\n').find((l) => l.startsWith(`  ${name} `))
      expect(line, name).toBeDefined()
      // The probe table gives `id` a command; every other topic is still to come.
      if (name === 'id') expect(line).not.toContain(COMING_LATER)
      else expect(line).toContain(COMING_LATER)
      expect(out.replace(/\s+/g, ' ')).toContain(description)
    }
  })

  it.each([[[]], [['-h']], [['help']], [['--json', '--help']]])('is what %j shows', async (argv) => {
    expect(await helpOutput(argv)).toBe(await helpOutput(['--help']))
  })
})

describe('topic help', () => {
  it.each([[['shard']], [['shard', '--help']], [['help', 'shard']], [['shard', '-h']]])(
    '%j describes a topic with no commands yet and exits 0',
    async (argv) => {
      const out = await helpOutput(argv)
      expect(out).toContain(TOPICS.shard.description)
      expect(out).toMatch(/No shard commands are available in borg \d+\.\d+\.\d+/)
    },
  )

  it('lists the commands of a topic that has some', async () => {
    const out = await helpOutput(['id'])
    expect(out).toContain(TOPICS.id.description)
    expect(out).toMatch(/^ {2}id probe +Probe command used only by the CLI tests/m)
  })
})

describe('command help', () => {
  it.each([[['id', 'probe', '--help']], [['help', 'id', 'probe']], [['id', 'probe', '--count', '2', '-h']]])(
    '%j shows usage and flags',
    async (argv) => {
      const out = await helpOutput(argv)
      expect(out).toContain('$ borg id probe')
      expect(out).toMatch(/--count=<value>/)
      expect(out).toMatch(/--json/)
    },
  )

  it('BorgHelp.showHelp takes raw argv too', async () => {
    const config = await loadConfig(PROBE_TABLE)
    const result = await capture(() => new BorgHelp(config).showHelp(['help', 'id', 'probe', '-h']))
    expect(result.error).toBeUndefined()
    expect(result.stdout).toContain('$ borg id probe')
  })

  it('help for an unknown command is a usage error', async () => {
    const config = await loadConfig(PROBE_TABLE)
    const result = await capture(() => dispatch(['help', 'nope'], config))
    expect(result.error).toBeInstanceOf(BorgError)
    expect((result.error as BorgError).exitCode).toBe(2)
  })

  it('a --help after -- is an argument, not a help request', async () => {
    expect(route(['id', 'probe', '--', '--help'], await loadConfig(PROBE_TABLE))).toEqual({ kind: 'run' })
  })

})

describe('version', () => {
  it.each([[['--version']], [['-v']], [['version']]])('%j prints borg, its version and the runtime running it', async (argv) => {
    const out = await helpOutput(argv)
    expect(out).toBe(`borg/${PJSON.version} ${process.platform}-${process.arch} node-v${process.versions.node}\n`)
  })

  it('--json gives the same as JSON', async () => {
    expect(JSON.parse(await helpOutput(['version', '--json']))).toEqual({
      name: 'borg',
      version: PJSON.version,
      platform: process.platform,
      arch: process.arch,
      runtime: 'node',
      runtimeVersion: process.versions.node,
    })
  })

  it('names bun, not a Node version, inside the compiled binary', async () => {
    const config = await loadConfig(PROBE_TABLE)
    const info = versionInfo(config, { ...process.versions, bun: '1.2.3' })
    expect(versionLine(info)).toBe(`borg/${PJSON.version} ${process.platform}-${process.arch} bun-v1.2.3`)
  })
})

describe('a topic with --json', () => {
  it('lists the commands of a topic that has some', async () => {
    expect(JSON.parse(await helpOutput(['id', '--json']))).toEqual({
      topic: 'id',
      description: TOPICS.id.description,
      available: true,
      commands: [{ command: 'id probe', summary: expect.stringContaining('Probe command') }],
    })
  })

  it.each([[['wallet', '--json']], [['shard', '--json', '--help']]])('%j says a topic has no commands in this build, exit 0', async (argv) => {
    const topic = argv[0] as keyof typeof TOPICS
    expect(JSON.parse(await helpOutput(argv))).toEqual({ topic, description: TOPICS[topic].description, available: false, commands: [] })
  })
})

describe('colour', () => {
  // A real terminal through `script` where available; otherwise FORCE_COLOR stands in for one.
  const hasScript = spawnSync('script', ['--version']).status === 0
  const viaTerminal = (env: NodeJS.ProcessEnv) =>
    hasScript
      ? runChild(['-qec', `${REPO}node_modules/.bin/tsx src/cli.ts --help`, '/dev/null'], { command: 'script', env })
      : runChild(['--help'], { env: { ...env, FORCE_COLOR: '1' } })
  let coloured: ChildResult
  let noColor: ChildResult
  beforeAll(async () => {
    ;[coloured, noColor] = await Promise.all([viaTerminal(plainEnv({ TERM: 'xterm' })), viaTerminal(plainEnv({ TERM: 'xterm', NO_COLOR: '1' }))])
  }, 60_000)

  it('help is coloured on a terminal (so the next check means something)', () => {
    expect(coloured.status).toBe(0)
    expect(coloured.stdout).toContain(ESC)
  })

  it('NO_COLOR=1 removes every escape sequence', () => {
    expect(noColor.status).toBe(0)
    expect(noColor.stdout).toContain('TOPICS')
    expect(noColor.stdout).not.toContain(ESC)
  })
})
