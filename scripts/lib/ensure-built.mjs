// Rebuild an output with bun when it is missing or older than any file in src/.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'

export const root = new URL('../..', import.meta.url).pathname

function newestSource(dir = join(root, 'src')) {
  let newest = statSync(join(root, 'package.json')).mtimeMs
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs)
  }
  return newest
}

/** target: 'node' (dist/borg.mjs) or a bun compile target such as 'bun-linux-x64'. */
export function ensureBuilt(target) {
  const output = join(root, target === 'node' ? 'dist/borg.mjs' : `out/borg-${target.replace(/^bun-/, '')}`)
  if (existsSync(output) && statSync(output).mtimeMs >= newestSource()) return output
  console.error(`building ${target} ...`)
  const result = spawnSync(join(root, 'node_modules/.bin/bun'), ['scripts/build-binaries.ts', target], { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) process.exit(result.status ?? 1)
  return output
}
