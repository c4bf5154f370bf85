/**
 * The explicit command table (oclif "explicit" strategy). Ids use ':' inside
 * oclif; users type spaces: `borg id new`.
 */
import type { Command } from '@oclif/core'
import IdNew from './id/new.js'
import IdRestore from './id/restore.js'
import IdShow from './id/show.js'

export const COMMANDS: Record<string, Command.Class> = {
  'id:new': IdNew,
  'id:restore': IdRestore,
  'id:show': IdShow,
}
