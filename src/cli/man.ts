/**
 * borg(1), generated from the same command table and help text the CLI shows
 * (`npm run man` writes man/borg.1; test/cli/man.test.ts fails when the
 * committed page differs from what the help says now).
 */
import type { Command, Interfaces } from '@oclif/core'
import { TOPICS } from '../oclif-pjson.js'

const EXIT_STATUSES: [number, string][] = [
  [0, 'success'],
  [1, 'internal error: a bug; run again with BORG_DEBUG=1 and report it'],
  [2, 'usage: a bad command line or invalid input'],
  [3, 'not found: no identity yet, an unknown file, a position the tree does not have'],
  [4, 'unavailable: network, timeout, a busy peer, no contact reachable, a port in use; retrying may succeed'],
  [5, 'verification failed: signature, hash, pinned certificate, passphrase, tampered keystore'],
  [6, 'already exists: an identity, a node running from this BORG_HOME'],
  [7, 'refused: permissions, too large, an unknown message kind'],
]

const ENVIRONMENT: [string, string][] = [
  ['BORG_HOME', 'Where borg keeps its files: identity, node key, TLS certificate, data. Default $XDG_DATA_HOME/borg or ~/.local/share/borg.'],
  ['BORG_PASSPHRASE', 'The passphrase of the identity keystore, for scripts and services; without it borg asks on the terminal.'],
  ['BORG_MNEMONIC_PASSPHRASE', 'The optional BIP39 passphrase ("25th word") used with the 24 words.'],
  ['BORG_LOG_LEVEL', 'debug, info (default), warn or error.'],
  ['BORG_DEBUG', 'When set, errors are followed by their stack trace.'],
  ['NO_COLOR', 'When set to a non-empty value, no colour.'],
]

/** Escapes text for roff: backslashes, and a leading dot or quote that would read as a request. */
function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n')
}

function usageOf(command: Command.Loadable, bin: string): string {
  const args = Object.entries(command.args ?? {}).map(([name, a]) => (a.required ? name.toUpperCase() : `[${name.toUpperCase()}]`))
  return [bin, ...command.id.split(':'), ...args, '[FLAGS]'].join(' ')
}

export function manPage(config: Interfaces.Config): string {
  const bin = config.bin
  const out: string[] = [
    `.TH ${bin.toUpperCase()} 1 "" "${bin} ${config.version}" "User Commands"`,
    '.SH NAME',
    `${bin} \\- ${roff('one program for a self-organizing peer-to-peer network: identity, nodes, storage, streams')}`,
    '.SH SYNOPSIS',
    `.B ${bin}`,
    '.I TOPIC COMMAND',
    '[\\fIARGS\\fR] [\\fIFLAGS\\fR]',
    '.br',
    `.B ${bin}`,
    '[\\fB\\-\\-help\\fR | \\fB\\-\\-version\\fR | \\fBcompletion\\fR \\fISHELL\\fR]',
    '.SH DESCRIPTION',
    roff(
      'Machines running borg find each other, form one self-healing broadcast tree per cell type, and together store files and stream data. ' +
        'There is no central server, no certificate authority and no login: an identity is 24 words, every message is signed, and TLS certificates are pinned to the signing keys.',
    ),
    '.PP',
    roff('Data goes to stdout; logs, progress, warnings and prompts go to stderr. Every command that prints data takes --json, errors included: {"error":{"code":...,"message":...}} on stdout.'),
    '.SH TOPICS',
  ]
  for (const [name, { description }] of Object.entries(TOPICS)) {
    const has = config.commands.some((c) => !c.hidden && c.id.startsWith(`${name}:`))
    out.push('.TP', `.B ${name}`, roff(has ? description : `${description} (coming in a later release)`))
  }
  out.push('.SH COMMANDS')
  const commands = config.commands.filter((c) => !c.hidden).sort((a, b) => a.id.localeCompare(b.id))
  for (const command of commands) {
    out.push(`.SS "${roff(usageOf(command, bin))}"`)
    if (command.summary) out.push(roff(command.summary))
    if (command.description) out.push('.PP', roff(command.description).replace(/\n\n+/g, '\n.PP\n'))
    for (const [name, arg] of Object.entries(command.args ?? {})) out.push('.TP', `.I ${name.toUpperCase()}`, roff(arg.description ?? ''))
    for (const [name, flag] of Object.entries(command.flags ?? {})) {
      if (flag.hidden) continue
      const value = flag.type === 'option' ? ` \\fI${roff(flag.helpValue?.toString() ?? 'VALUE')}\\fR` : ''
      out.push('.TP', `${flag.char ? `\\fB\\-${flag.char}\\fR, ` : ''}\\fB\\-\\-${roff(name)}\\fR${value}`, roff(flag.summary ?? flag.description ?? ''))
    }
  }
  out.push('.SH ENVIRONMENT')
  for (const [name, text] of ENVIRONMENT) out.push('.TP', `.B ${name}`, roff(text))
  out.push('.SH EXIT STATUS')
  for (const [status, text] of EXIT_STATUSES) out.push('.TP', `.B ${status}`, roff(text))
  out.push('.SH SEE ALSO', roff(`${bin} --help, ${bin} TOPIC --help, and docs/cli.md, docs/protocol.md, docs/security.md in the source.`))
  return `${out.join('\n')}\n`
}
