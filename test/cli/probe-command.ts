/**
 * A stand-in command for the CLI tests: the real command table grows milestone
 * by milestone, but help, flag parsing and the oclif workaround must be testable
 * from day one. Loaded with `loadConfig({ 'id:probe': ProbeCommand })`.
 */
import { Flags } from '@oclif/core'
import { BorgCommand } from '../../src/cli/base-command.js'

export class ProbeCommand extends BorgCommand {
  static override summary = 'Probe command used only by the CLI tests'
  static override flags = {
    count: Flags.integer({ description: 'How many probes to report', default: 1 }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(ProbeCommand)
    this.emit({ count: flags.count }, () => `count ${flags.count}`)
  }
}

export const PROBE_TABLE = { 'id:probe': ProbeCommand }
