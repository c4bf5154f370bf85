/**
 * The one place that turns an error into what the user sees: `error: <message>`
 * on stderr, or `{"error":{"code","message"}}` on stdout with --json, and the
 * documented exit status (docs/cli.md). Used by BorgCommand and by main.ts for
 * errors raised before a command runs (unknown command or flag).
 */
import { BorgError, ExitCode } from '../core/errors.js'
import { printJson, style } from './output.js'

export interface ClassifiedError {
  code: string
  message: string
  exit: number
  details?: Record<string, unknown>
}

/** Prints the error and returns the exit status to end with. */
export function reportError(error: Error, json: boolean): number {
  const { code, message, exit, details } = classifyError(error)
  if (json) {
    printJson({ error: details ? { code, message, details } : { code, message } })
  } else {
    process.stderr.write(`${style('error:', 'red', process.stderr)} ${message}\n`)
    if (process.env.BORG_DEBUG && error.stack) process.stderr.write(`${error.stack}\n`)
  }
  return exit
}

export function classifyError(error: Error & { oclif?: { exit?: number } }): ClassifiedError {
  if (error instanceof BorgError) return { code: error.code, message: error.message, exit: error.exitCode, details: error.details }
  // oclif parser errors (missing args, unknown flags) carry exit 2.
  if (error.oclif?.exit === ExitCode.usage) return { code: 'usage', message: error.message, exit: ExitCode.usage }
  const nodeCode = (error as { code?: unknown }).code
  if (nodeCode === 'ENOENT') return { code: 'not-found', message: error.message, exit: ExitCode.notFound }
  if (nodeCode === 'EACCES' || nodeCode === 'EPERM') return { code: 'refused', message: error.message, exit: ExitCode.refused }
  return { code: 'internal', message: `internal error: ${error.message}`, exit: ExitCode.internal }
}
