/**
 * Every borg command extends this: a `--json` flag, one error path that maps
 * BorgError codes to the documented exit codes, and printing helpers that keep
 * data on stdout and everything else on stderr.
 */
import { Command, Errors, Flags } from '@oclif/core'
import { logInfo, printData, printJson } from './output.js'
import { reportError } from './report-error.js'

export abstract class BorgCommand extends Command {
  static override baseFlags = {
    json: Flags.boolean({ description: 'Print machine-readable JSON on stdout (errors too).', default: false }),
  }

  /** Set from argv before run() so even parse errors honour --json. */
  protected jsonOutput = false

  override async init(): Promise<void> {
    this.jsonOutput = this.argv.includes('--json')
    await super.init()
  }

  /** Print a result: JSON with --json, otherwise the human rendering. */
  protected emit(value: unknown, human: () => string | string[]): void {
    if (this.jsonOutput) {
      printJson(value)
      return
    }
    const text = human()
    printData(Array.isArray(text) ? text.join('\n') : text)
  }

  /** Progress and notes for humans: stderr, suppressed with --json. */
  protected note(text: string): void {
    if (!this.jsonOutput) logInfo(text)
  }

  override async catch(error: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    // oclif's own control-flow errors (exit(), --help, --version) pass through untouched.
    if (error instanceof Errors.ExitError) throw error
    return this.exit(reportError(error, this.jsonOutput))
  }
}
