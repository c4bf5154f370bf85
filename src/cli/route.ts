/**
 * Decides, before oclif sees argv, whether an invocation is a help request, a
 * command, or a mistake. oclif's own `run` would show help with its stock Help
 * class (a custom helpClass is loaded by file path, which the bun binary cannot
 * do), so help is routed to BorgHelp here and only real commands reach `run`.
 */
import type { Interfaces } from '@oclif/core'

type Config = Interfaces.Config
import { BorgError } from '../core/errors.js'
import { VERSION_WORDS } from './version.js'

/** `-h` is help everywhere, so no command may use it as a flag letter (test/cli/oclif.test.ts). */
export const HELP_FLAGS: readonly string[] = ['--help', '-h']

export type Target =
  | { kind: 'root' }
  | { kind: 'command'; id: string }
  | { kind: 'topic'; name: string }
  | { kind: 'unknown'; words: string[] }

export type Route =
  | { kind: 'help'; target: Target }
  /** `borg TOPIC --json`: the topic and its commands as JSON. */
  | { kind: 'topic-json'; name: string }
  | { kind: 'version' }
  /** `borg completion SHELL` (`shell` undefined: show how to use it). */
  | { kind: 'completion'; shell?: string; help: boolean }
  | { kind: 'run' }
  | { kind: 'error'; error: BorgError }

export function route(argv: readonly string[], config: Config): Route {
  const end = argv.indexOf('--')
  const head = end === -1 ? argv : argv.slice(0, end)
  if (argv[0] !== undefined && VERSION_WORDS.includes(argv[0])) return { kind: 'version' }
  if (argv[0] === 'completion') {
    const words = leadingWords(head.slice(1))
    return { kind: 'completion', shell: words[0], help: head.some((a) => HELP_FLAGS.includes(a)) }
  }
  const asksHelp = argv.length === 0 || head.some((a) => HELP_FLAGS.includes(a)) || argv[0] === 'help'
  const words = leadingWords(argv[0] === 'help' ? head.slice(1) : head)
  const target = resolveWords(words, config)
  if (target.kind === 'topic' && head.includes('--json')) return { kind: 'topic-json', name: target.name }
  if (asksHelp) return target.kind === 'unknown' ? { kind: 'error', error: unknownCommand(words, config) } : { kind: 'help', target }
  switch (target.kind) {
    case 'command':
      return { kind: 'run' }
    case 'topic':
      return { kind: 'help', target } // `borg id`, `borg shard`
    case 'unknown':
      return { kind: 'error', error: unknownCommand(words, config) }
    case 'root': // only flags, e.g. `borg --json`: oclif would call it a command named "--json"
      return { kind: 'error', error: new BorgError('usage', `unknown flag ${JSON.stringify(argv[0])}: flags go after the command; run "${config.bin} --help"`) }
  }
}

/** The words before the first flag: the command id plus its positional arguments. */
export function leadingWords(argv: readonly string[]): string[] {
  const firstFlag = argv.findIndex((a) => a.startsWith('-'))
  return [...(firstFlag === -1 ? argv : argv.slice(0, firstFlag))]
}

/** The longest leading run of words that names a command wins; the rest are its arguments. */
export function resolveWords(words: readonly string[], config: Config): Target {
  if (words.length === 0) return { kind: 'root' }
  for (let n = words.length; n > 0; n--) {
    const id = words.slice(0, n).join(':')
    if (config.findCommand(id)) return { kind: 'command', id }
  }
  const name = words.join(':')
  if (config.findTopic(name)) return { kind: 'topic', name }
  return { kind: 'unknown', words: [...words] }
}

/** True when the topic has at least one (visible) command in this build. */
export function topicHasCommands(name: string, config: Config): boolean {
  return config.commands.some((c) => !c.hidden && c.id.startsWith(`${name}:`))
}

/** The usage error for words that name no command or topic, with a hint where to look. */
export function unknownCommand(words: readonly string[], config: Config): BorgError {
  const typed = words.join(' ')
  const topic = words[0] && config.findTopic(words[0]) ? words[0] : undefined
  if (topic && !topicHasCommands(topic, config)) {
    return new BorgError('usage', `unknown command "${typed}": the ${topic} topic has no commands in ${config.bin} ${config.version}`)
  }
  const helpFor = topic ? `${config.bin} ${topic} --help` : `${config.bin} --help`
  return new BorgError('usage', `unknown command "${typed}"; run "${helpFor}" to see the commands`)
}

/** What `borg TOPIC --json` prints: the topic, whether this build has its commands, and each one. */
export function topicJson(name: string, config: Config): { topic: string; description: string; available: boolean; commands: { command: string; summary: string }[] } {
  const commands = config.commands
    .filter((c) => !c.hidden && c.id.startsWith(`${name}:`))
    .map((c) => ({ command: c.id.split(':').join(' '), summary: c.summary ?? c.description ?? '' }))
    .sort((a, b) => a.command.localeCompare(b.command))
  return { topic: name.split(':').join(' '), description: config.findTopic(name)?.description ?? '', available: commands.length > 0, commands }
}
