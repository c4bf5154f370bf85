/**
 * oclif bootstrap that works identically under node and inside the bun binary:
 * the package.json and the command table are handed to oclif in memory, so it
 * reads no files and performs no dynamic imports (toolchain.md §3). Help is
 * shown by BorgHelp and usage mistakes are reported before oclif's `run`
 * (src/cli/route.ts); everything else is oclif's.
 */
import { type Command, Config, Plugin, flush, handle, run } from '@oclif/core'
import { dirname } from 'node:path'
import { BorgHelp } from './cli/help.js'
import { reportError } from './cli/report-error.js'
import { printData, printJson } from './cli/output.js'
import { route, topicJson } from './cli/route.js'
import { versionInfo, versionLine } from './cli/version.js'
import { COMPLETION_HELP, SHELLS, completionScript } from './cli/completion.js'
import { COMMANDS } from './commands/index.js'
import { BorgError } from './core/errors.js'
import { PJSON } from './oclif-pjson.js'

/** `commands` is replaceable so tests can load a table with probe commands. */
export async function loadConfig(commands: Record<string, Command.Class> = COMMANDS): Promise<Config> {
  const root = dirname(process.execPath) // any existing directory; nothing is read from it
  const pjson = structuredClone(PJSON) as unknown as ConstructorParameters<typeof Plugin>[0]['pjson']
  const plugin = new Plugin({ root, pjson, isRoot: true, ignoreManifest: true })
  // Private field of @oclif/core 4's Plugin; test/cli/oclif.test.ts fails loudly if it is renamed.
  ;(plugin as unknown as { commandCache: unknown }).commandCache = commands
  await plugin.load()
  return Config.load({ root, pjson, plugins: new Map([[plugin.name, plugin]]) } as Parameters<typeof Config.load>[0])
}

/** Runs one invocation; throws instead of exiting so tests can call it in-process. */
export async function dispatch(argv: string[], config: Config): Promise<void> {
  const next = route(argv, config)
  const json = argv.includes('--json')
  if (next.kind === 'help') await new BorgHelp(config).show(next.target)
  else if (next.kind === 'topic-json') printJson(topicJson(next.name, config))
  else if (next.kind === 'version') {
    const info = versionInfo(config)
    if (json) printJson(info)
    else printData(versionLine(info))
  } else if (next.kind === 'completion') {
    if (next.help || next.shell === undefined) {
      if (!next.help) throw new BorgError('usage', `name a shell: ${config.bin} completion ${SHELLS.join('|')}`)
      printData(COMPLETION_HELP)
    } else printData(completionScript(next.shell, config))
  } else if (next.kind === 'error') throw next.error
  else await run(argv, config)
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  try {
    await dispatch(argv, await loadConfig())
    await flush()
  } catch (error) {
    if (error instanceof BorgError) {
      process.exitCode = reportError(error, argv.includes('--json'))
      return
    }
    await handle(error as Error)
  }
}
