/**
 * The explicit command table (oclif "explicit" strategy). Ids use ':' inside
 * oclif; users type spaces: `borg id new`.
 */
import type { Command } from '@oclif/core'

export const COMMANDS: Record<string, Command.Class> = {}
