#!/usr/bin/env node
// npm run bench:wire [-- flags for `borg bench wire`]
// Runs the wire benchmark twice from one command: under node (dist/borg.mjs) and
// in the compiled x64 binary (out/borg-linux-x64). Builds whichever is missing.
import { spawnSync } from 'node:child_process'
import { ensureBuilt, root } from './lib/ensure-built.mjs'

const passThrough = process.argv.slice(2)

function run(label, command, args) {
  console.log(`\n== ${label} ==`)
  const result = spawnSync(command, [...args, 'bench', 'wire', ...passThrough], { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) {
    console.error(`${label}: bench exited with ${result.status}`)
    process.exitCode = 1
  }
}

run('node (dist/borg.mjs)', process.execPath, [ensureBuilt('node')])
if (process.platform === 'linux' && process.arch === 'x64') {
  run('compiled binary (out/borg-linux-x64)', ensureBuilt('bun-linux-x64'), [])
} else {
  console.error('skipping the binary run: only linux-x64 binaries run on this machine')
}
