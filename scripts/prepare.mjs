// Runs on `npm ci` / `npm install` in a clone: builds dist/borg.mjs so bin/borg.js works.
// Skipped when bun is not installed (e.g. `npm install --omit=dev` of a packed tarball that already ships dist/).
import { existsSync } from 'node:fs'
import { spawnSync } from 'node:child_process'

const bun = new URL('../node_modules/.bin/bun', import.meta.url).pathname
if (!existsSync(bun)) {
  console.error('prepare: bun is not installed; skipping the node bundle build')
  process.exit(0)
}
const result = spawnSync(bun, ['scripts/build-binaries.ts', 'node'], { stdio: 'inherit' })
process.exit(result.status ?? 1)
