/**
 * Where secrets come from: environment variables, a terminal prompt, or piped
 * stdin — never command-line arguments, which other users can read in `ps`
 * and which end up in shell history. The terminal side is injected
 * (src/cli/prompt.ts implements it) so the identity logic is testable.
 */
import { BorgError } from '../errors.js'

export interface SecretInput {
  /** True when stdin is a terminal a person can answer prompts on. */
  readonly interactive: boolean
  /** Prompt (on stderr) and read one echoed line. */
  askLine(question: string): Promise<string>
  /** Prompt (on stderr) and read one line without echo. */
  askHidden(question: string): Promise<string>
  /** All of stdin, when it is a pipe or a file. */
  readAll(): Promise<string>
  /** A warning for the person at the terminal (stderr). */
  warn(text: string): void
}

const MAX_CONFIRM_ATTEMPTS = 3

async function askTwice(input: SecretInput, question: string, again: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const first = await input.askHidden(question)
    if ((await input.askHidden(again)) === first) return first
    if (attempt >= MAX_CONFIRM_ATTEMPTS) throw new BorgError('usage', 'the two entries did not match; nothing was changed')
    input.warn('the two entries did not match; try again')
  }
}

/** Fail early (before any prompt or stdin read) when the keystore passphrase cannot be obtained. */
export function requireKeystorePassphraseSource(input: SecretInput, env: NodeJS.ProcessEnv): void {
  if (env.BORG_PASSPHRASE === undefined && !input.interactive) {
    throw new BorgError(
      'usage',
      'no terminal to ask for the keystore passphrase: set BORG_PASSPHRASE in the environment ' +
        '(reading it from a file, e.g. BORG_PASSPHRASE="$(cat pass.txt)", keeps it out of shell history)',
    )
  }
}

/**
 * The passphrase that encrypts identity.json: BORG_PASSPHRASE when set (even
 * to the empty string, deliberately), else a hidden prompt, asked twice when
 * `confirm` (creating a keystore).
 */
export async function keystorePassphrase(input: SecretInput, env: NodeJS.ProcessEnv, options: { confirm: boolean }): Promise<string> {
  requireKeystorePassphraseSource(input, env)
  const passphrase =
    env.BORG_PASSPHRASE ??
    (options.confirm
      ? await askTwice(input, 'New keystore passphrase (protects identity.json on this machine): ', 'Repeat the keystore passphrase: ')
      : await input.askHidden('Keystore passphrase: '))
  if (passphrase === '') input.warn('the keystore passphrase is empty: anyone who can read identity.json can use this identity')
  return passphrase
}

/**
 * The optional BIP39 passphrase (the "25th word"): a hidden prompt when
 * `prompt` is set, else BORG_MNEMONIC_PASSPHRASE, else none. Asked twice when
 * `confirm`, because a typo silently yields a different, valid identity.
 */
export async function mnemonicPassphrase(
  input: SecretInput,
  env: NodeJS.ProcessEnv,
  options: { prompt: boolean; confirm: boolean },
): Promise<string> {
  if (!options.prompt) return env.BORG_MNEMONIC_PASSPHRASE ?? ''
  if (!input.interactive) {
    throw new BorgError('usage', '--mnemonic-passphrase-prompt needs a terminal; set BORG_MNEMONIC_PASSPHRASE instead')
  }
  return options.confirm
    ? askTwice(input, 'BIP39 passphrase ("25th word"; empty for none): ', 'Repeat the BIP39 passphrase: ')
    : input.askHidden('BIP39 passphrase ("25th word"; empty for none): ')
}

/** Recovery words: all of stdin when it is piped, else one line typed at the terminal. */
export async function readMnemonicText(input: SecretInput): Promise<string> {
  if (!input.interactive) return input.readAll()
  return input.askLine('Recovery words (12, 15, 18, 21 or 24, separated by spaces): ')
}
