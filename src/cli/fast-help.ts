/**
 * The binary's fast path for help: the page for what the user typed, from the
 * help book the build rendered (help-book.ts), without oclif. Mirrors
 * route.ts for help requests; returns undefined for anything it is not sure
 * of (unknown words, odd terminals, `--json`), which then goes the usual way.
 */
import { readFileSync } from 'node:fs'
import { arch, release } from 'node:os'
import { stripVTControlCharacters } from 'node:util'
import { colorEnabled } from './output.js'

export interface HelpPage {
  /** At 80 columns (oclif's width for a pipe and for a terminal that reports none). */
  narrow: string
  /** Unwrapped, and the fewest columns it needs: printed as is on terminals at least that wide. */
  wide?: string
  wideColumns?: number
}

export interface HelpBook {
  /** Command ids and topic names as oclif knows them (`node:join`, `node`). */
  commands: string[]
  topics: string[]
  /** `root`, `topic:<name>`, `command:<id>`. */
  pages: Record<string, HelpPage>
  /** `borg/0.1.0`: the root screen names the build, platform and runtime (oclif's user agent), filled in at run time where USER_AGENT stands. */
  userAgentPrefix: string
}

/** Stands for oclif's user agent in a rendered page (it names the platform and runtime the page is shown on). */
export const USER_AGENT = '\u0000user-agent\u0000'

const HELP = ['--help', '-h']
const NOT_HELP_FIRST = ['--version', '-v', 'version', 'completion']

/** The page key for argv, or undefined when this is not a help request the book can answer. */
export function helpPageKey(argv: readonly string[], book: Pick<HelpBook, 'commands' | 'topics'>): string | undefined {
  if (argv[0] !== undefined && NOT_HELP_FIRST.includes(argv[0])) return undefined
  const end = argv.indexOf('--')
  const head = end === -1 ? argv : argv.slice(0, end)
  const asksHelp = argv.length === 0 || head.some((a) => HELP.includes(a)) || argv[0] === 'help'
  const rest = argv[0] === 'help' ? head.slice(1) : head
  const firstFlag = rest.findIndex((a) => a.startsWith('-'))
  const words = firstFlag === -1 ? rest : rest.slice(0, firstFlag)
  if (words.length === 0) return asksHelp ? 'root' : undefined
  for (let n = words.length; n > 0; n--) {
    const id = words.slice(0, n).join(':')
    if (book.commands.includes(id)) return asksHelp ? `command:${id}` : undefined
  }
  const topic = words.join(':')
  if (!book.topics.includes(topic) || head.includes('--json')) return undefined
  return `topic:${topic}`
}

export interface Terminal {
  isTTY?: boolean
  getWindowSize?: () => [number, number]
}

/** The page's text for this terminal, or undefined when the book has no text for its width. */
export function pageFor(book: HelpBook, key: string, stdout: Terminal & NodeJS.WriteStream, env: NodeJS.ProcessEnv): string | undefined {
  const page = book.pages[key]
  if (!page || env.OCLIF_COLUMNS) return undefined
  let columns = 80
  if (stdout.isTTY) {
    const width = stdout.getWindowSize?.()[0] ?? 0
    columns = width < 1 ? 80 : Math.max(width, 40)
  }
  const text = columns === 80 ? page.narrow : page.wide !== undefined && columns >= page.wideColumns! ? page.wide : undefined
  if (text === undefined) return undefined
  let shown = text
  if (shown.includes(USER_AGENT)) {
    const agent = userAgent(book.userAgentPrefix)
    if (agent === undefined) return undefined
    shown = shown.replaceAll(USER_AGENT, agent)
  }
  return colorEnabled(stdout, env) ? shown : stripVTControlCharacters(shown)
}

/**
 * oclif's user agent (`borg/0.1.0 linux-x64 node-v22.6.0`), or undefined
 * under WSL, which oclif detects with more care than is worth copying here.
 */
function userAgent(prefix: string): string | undefined {
  if (process.platform === 'win32' || (process.platform === 'linux' && mentionsMicrosoft())) return undefined
  const cpu = arch() === 'ia32' ? 'x86' : arch()
  return `${prefix} ${process.platform}-${cpu} node-${process.version}`
}

function mentionsMicrosoft(): boolean {
  if (release().toLowerCase().includes('microsoft')) return true
  try {
    return readFileSync('/proc/version', 'utf8').toLowerCase().includes('microsoft')
  } catch {
    return false
  }
}

/** Print the help page for argv if the build embedded a help book and it has one; whether it did. */
export function printFastHelp(argv: readonly string[], bookJson: string | undefined): boolean {
  if (!bookJson) return false
  const book = JSON.parse(bookJson) as HelpBook
  const key = helpPageKey(argv, book)
  const text = key === undefined ? undefined : pageFor(book, key, process.stdout, process.env)
  if (text === undefined) return false
  process.stdout.write(text)
  return true
}
