#!/usr/bin/env node
// npm run demo: create an identity, start a node in a second process, and do
// signed round trips to it over pinned HTTPS. Everything lives in ./.borg-demo
// (delete it to start over). Each borg command is printed before it runs.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { join } from 'node:path'
import { ensureBuilt, root } from './lib/ensure-built.mjs'

ensureBuilt('node')
const borg = join(root, 'bin/borg.js')
const demo = join(root, '.borg-demo')
const alice = join(demo, 'alice')
const nodeHome = join(demo, 'node-1')
mkdirSync(demo, { recursive: true })
// A demo passphrase, so the demo needs no typing. Real use: a prompt, or your own BORG_PASSPHRASE.
const env = { ...process.env, BORG_PASSPHRASE: process.env.BORG_PASSPHRASE ?? 'borg-demo-passphrase' }

function show(home, args) {
  console.error(`\n$ BORG_HOME=${home.replace(root, '')} borg ${args.join(' ')}`)
}

function borgSync(home, args) {
  show(home, args)
  const result = spawnSync(process.execPath, [borg, ...args], { env: { ...env, BORG_HOME: home }, stdio: 'inherit' })
  if (result.status !== 0) {
    console.error(`\ndemo: \`borg ${args.join(' ')}\` exited with ${result.status}`)
    process.exit(result.status ?? 1)
  }
}

if (existsSync(join(alice, 'identity.json'))) {
  console.error('demo: reusing the identity from an earlier run (rm -rf .borg-demo to start over)')
  borgSync(alice, ['id', 'show'])
} else {
  borgSync(alice, ['id', 'new'])
}

const serveArgs = ['node', 'serve', '--port', '0', '--json']
show(nodeHome, [...serveArgs, '&'])
const server = spawn(process.execPath, [borg, ...serveArgs], { env: { ...env, BORG_HOME: nodeHome }, stdio: ['ignore', 'pipe', 'inherit'] })
const ready = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('the node did not start within 30 s')), 30_000)
  server.once('exit', (code) => reject(new Error(`the node exited with ${code}`)))
  createInterface({ input: server.stdout }).once('line', (line) => {
    clearTimeout(timer)
    resolve(JSON.parse(line))
  })
}).catch((error) => {
  console.error(`demo: ${error.message}`)
  process.exit(1)
})
console.error(`node ${ready.nodeId.slice(0, 16)}… is listening on ${ready.endpoint} (certificate sha256 ${ready.certSha256.slice(0, 16)}…)`)

try {
  borgSync(alice, ['node', 'ping', ready.endpoint, '--identity', '--count', '3', '--expect', ready.nodeId])
} finally {
  server.kill('SIGTERM')
}
console.error('\ndemo: done. Both processes signed every message, and the certificate was pinned to the node\'s key.')
console.error('Try: BORG_HOME=.borg-demo/alice node bin/borg.js id show --json')
