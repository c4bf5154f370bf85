/**
 * Every borg command extends this: a `--json` flag, one error path that maps
 * BorgError codes to the documented exit codes, and printing helpers that keep
 * data on stdout and everything else on stderr.
 */
import { Command, Errors, Flags } from '@oclif/core'
import { BorgError, ExitCode } from '../core/errors.js'
import { logInfo, printData, printJson, style } from './output.js'

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
    const { code, message, exit, details } = classify(error)
    if (this.jsonOutput) {
      printJson({ error: details ? { code, message, details } : { code, message } })
    } else {
      process.stderr.write(`${style('error:', 'red', process.stderr)} ${message}\n`)
      if (process.env.BORG_DEBUG && error.stack) process.stderr.write(`${error.stack}\n`)
    }
    return this.exit(exit)
  }
}

function classify(error: Error & { oclif?: { exit?: number } }): {
  code: string
  message: string
  exit: number
  details?: Record<string, unknown>
} {
  if (error instanceof BorgError) return { code: error.code, message: error.message, exit: error.exitCode, details: error.details }
  // oclif parser errors (missing args, bad flags) carry exit 2.
  if (error.oclif?.exit === ExitCode.usage) return { code: 'usage', message: error.message, exit: ExitCode.usage }
  const nodeCode = (error as { code?: unknown }).code
  if (nodeCode === 'ENOENT') return { code: 'not-found', message: error.message, exit: ExitCode.notFound }
  if (nodeCode === 'EACCES' || nodeCode === 'EPERM') return { code: 'refused', message: error.message, exit: ExitCode.refused }
  return { code: 'internal', message: `internal error: ${error.message}`, exit: ExitCode.internal }
}
