/**
 * oclif bootstrap that works identically under node and inside the bun binary:
 * the package.json and the command table are handed to oclif in memory, so it
 * reads no files and performs no dynamic imports (toolchain.md §3).
 */
import { Config, Plugin, flush, handle, run } from '@oclif/core'
import { dirname } from 'node:path'
import { COMMANDS } from './commands/index.js'
import { PJSON } from './oclif-pjson.js'

export async function loadConfig(): Promise<Config> {
  const root = dirname(process.execPath) // any existing directory; nothing is read from it
  const pjson = structuredClone(PJSON) as unknown as ConstructorParameters<typeof Plugin>[0]['pjson']
  const plugin = new Plugin({ root, pjson, isRoot: true, ignoreManifest: true })
  // Private field of @oclif/core 4's Plugin; test/cli/oclif.test.ts fails loudly if it is renamed.
  ;(plugin as unknown as { commandCache: unknown }).commandCache = COMMANDS
  await plugin.load()
  return Config.load({ root, pjson, plugins: new Map([[plugin.name, plugin]]) } as Parameters<typeof Config.load>[0])
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  try {
    const config = await loadConfig()
    await run(argv, config)
    await flush()
  } catch (error) {
    await handle(error as Error)
  }
}
