/**
 * docs/cli.md is the exit-code contract for scripts: it must list every
 * ErrorCode with the exit status the CLI really uses, and every ExitCode.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ExitCode, exitCodeFor, isErrorCode, type ErrorCode } from '../../src/core/errors.js'
import { REPO } from './harness.js'

const doc = readFileSync(`${REPO}docs/cli.md`, 'utf8')

/** The rows of the markdown table that follows `## heading`, split into trimmed cells. */
function tableAfter(heading: string): string[][] {
  const section = doc.split(/^## /m).find((s) => s.startsWith(heading))
  if (!section) throw new Error(`docs/cli.md has no "## ${heading}" section`)
  const rows = section.split('\n').filter((l) => l.startsWith('|'))
  return rows.slice(2).map((l) => l.slice(1, -1).split('|').map((c) => c.trim()))
}

/** ErrorCode is a type, so read its members from the source: a new code cannot slip past this test. */
function declaredErrorCodes(): string[] {
  const source = readFileSync(`${REPO}src/core/errors.ts`, 'utf8')
  const union = /export type ErrorCode =([\s\S]*?)\n\n/.exec(source)?.[1] ?? ''
  return [...union.matchAll(/\|\s*'([a-z-]+)'/g)].map((m) => m[1] as string)
}

describe('docs/cli.md', () => {
  const documented = new Map(tableAfter('Error codes').map(([code, exit]) => [code?.replaceAll('`', ''), Number(exit)]))
  const declared = declaredErrorCodes()

  it('finds the ErrorCode union in src/core/errors.ts', () => {
    expect(declared.length).toBeGreaterThan(10)
    for (const code of declared) expect(isErrorCode(code), code).toBe(true)
  })

  it('lists every ErrorCode with the exit status the CLI uses', () => {
    for (const code of declared) {
      expect(documented.has(code), `${code} is missing from docs/cli.md`).toBe(true)
      expect(documented.get(code), `exit status of ${code}`).toBe(exitCodeFor(code as ErrorCode))
    }
  })

  it('lists no error code that does not exist', () => {
    for (const code of documented.keys()) expect(isErrorCode(code), `${code} in docs/cli.md`).toBe(true)
  })

  it('lists every exit status by name', () => {
    const rows = tableAfter('Exit statuses').map(([exit, name]) => [name, Number(exit)])
    expect(Object.fromEntries(rows)).toEqual({ ...ExitCode })
  })
})
