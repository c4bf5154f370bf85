/**
 * Multi-process tests run the real CLI from the node bundle (dist/borg.mjs,
 * what `npm ci` builds): rebuilt here if any source file is newer.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('../..', import.meta.url).pathname
export const BUNDLE = join(root, 'dist', 'borg.mjs')

function newest(dir: string): number {
  let t = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }
  return t
}

export function ensureBundle(): string {
  if (existsSync(BUNDLE) && statSync(BUNDLE).mtimeMs >= newest(join(root, 'src'))) return BUNDLE
  const result = spawnSync(join(root, 'node_modules', '.bin', 'bun'), ['scripts/build-binaries.ts', 'node'], { cwd: root, encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`building dist/borg.mjs failed: ${result.stderr}`)
  return BUNDLE
}
