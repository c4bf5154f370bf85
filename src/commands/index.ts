/**
 * The explicit command table (oclif "explicit" strategy). Ids use ':' inside
 * oclif; users type spaces: `borg id new`.
 */
import type { Command } from '@oclif/core'
import BenchServe from './bench/serve.js'
import BenchWire from './bench/wire.js'
import IdNew from './id/new.js'
import IdRestore from './id/restore.js'
import IdShow from './id/show.js'
import NodePing from './node/ping.js'
import NodeServe from './node/serve.js'

export const COMMANDS: Record<string, Command.Class> = {
  'bench:serve': BenchServe,
  'bench:wire': BenchWire,
  'id:new': IdNew,
  'id:restore': IdRestore,
  'id:show': IdShow,
  'node:ping': NodePing,
  'node:serve': NodeServe,
}
