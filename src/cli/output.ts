/**
 * Where things are printed: data to stdout, everything else (logs, progress,
 * prompts, warnings) to stderr. Colour only on a terminal and never when
 * NO_COLOR is set (https://no-color.org).
 */
export function colorEnabled(stream: NodeJS.WriteStream = process.stderr, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  // As in node and supports-color: FORCE_COLOR=0/false turns colour off, any other value on.
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false'
  return Boolean(stream.isTTY) && env.TERM !== 'dumb'
}

type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan'
const CODES: Record<Style, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
}

export function style(text: string, s: Style, stream: NodeJS.WriteStream = process.stdout): string {
  if (!colorEnabled(stream)) return text
  const [open, close] = CODES[s]
  return `\u001b[${open}m${text}\u001b[${close}m`
}

export function printData(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

export function logInfo(text: string): void {
  process.stderr.write(`${text}\n`)
}

export function logWarn(text: string): void {
  process.stderr.write(`${style('warning:', 'yellow', process.stderr)} ${text}\n`)
}
