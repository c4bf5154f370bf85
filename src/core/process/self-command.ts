/**
 * How to start another copy of this very borg (benchmarks and tests spawn a
 * second process): the compiled binary is its own executable; under node it is
 * node plus the same loader flags and entry script.
 */
export function isCompiledBinary(): boolean {
  return (process.argv[1] ?? '').startsWith('/$bunfs/') || import.meta.url.includes('$bunfs')
}

export function selfCommand(): { command: string; args: string[] } {
  if (isCompiledBinary()) return { command: process.execPath, args: [] }
  const entry = process.argv[1]
  if (!entry) throw new Error('cannot tell how this process was started (no entry script)')
  return { command: process.execPath, args: [...process.execArgv, entry] }
}

export function runtimeName(): string {
  const bun = (process.versions as Record<string, string | undefined>).bun
  return bun ? `bun ${bun}${isCompiledBinary() ? ' (compiled binary)' : ''}` : `node ${process.versions.node}`
}
