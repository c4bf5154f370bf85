#!/usr/bin/env node
// npm run bench:wire [-- flags for `borg bench wire`]
// Runs the wire benchmark twice from one command: under node (dist/borg.mjs) and
// in the compiled x64 binary (out/borg-linux-x64). Builds whichever is missing.
import { existsSync, statSync, readdirSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const bun = join(root, 'node_modules/.bin/bun')
const bundle = join(root, 'dist/borg.mjs')
const binary = join(root, 'out/borg-linux-x64')
const passThrough = process.argv.slice(2)

function newestSource(dir = join(root, 'src')) {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs)
  }
  return newest
}

function ensureBuilt(output, target) {
  if (existsSync(output) && statSync(output).mtimeMs >= newestSource()) return
  console.error(`building ${target} ...`)
  const result = spawnSync(bun, ['scripts/build-binaries.ts', target], { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) process.exit(result.status ?? 1)
}

function run(label, command, args) {
  console.log(`\n== ${label} ==`)
  const result = spawnSync(command, [...args, 'bench', 'wire', ...passThrough], { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) {
    console.error(`${label}: bench exited with ${result.status}`)
    process.exitCode = 1
  }
}

ensureBuilt(bundle, 'node')
run('node (dist/borg.mjs)', process.execPath, [bundle])
if (process.platform === 'linux' && process.arch === 'x64') {
  ensureBuilt(binary, 'bun-linux-x64')
  run('compiled binary (out/borg-linux-x64)', binary, [])
} else {
  console.error('skipping the binary run: only linux-x64 binaries run on this machine')
}
