#!/usr/bin/env node
// npm entry point: runs the single-file node bundle built by `npm run build:node`
// (npm ci runs it through the `prepare` script).
import { existsSync } from 'node:fs'

const bundle = new URL('../dist/borg.mjs', import.meta.url)
if (!existsSync(bundle)) {
  process.stderr.write('borg: dist/borg.mjs is missing; run `npm run build:node` (or `npm ci`) first\n')
  process.exit(1)
}
await import(bundle.href)
