import { Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { logInfo, logWarn, printData } from '../../cli/output.js'
import { terminal } from '../../cli/prompt.js'
import { borgHome } from '../../core/store/paths.js'

export default class IdNew extends BorgCommand {
  static override summary = 'Create a new identity and show its 24 recovery words once'

  static override description = `Generates 256 bits of entropy as 24 BIP39 recovery words and derives your identity key at m/44'/3'/0'/0/0, the first receive address any Dogecoin wallet shows for the same words. The words are printed once on stdout and never stored or logged: write them down. On a terminal they come numbered, with the address; when stdout is a file or a pipe, stdout gets the words alone on one line (what \`borg id restore\` reads back) and the address goes to stderr. borg keeps only the BIP39 seed, encrypted (scrypt + XChaCha20-Poly1305) in $BORG_HOME/identity.json, mode 0600.

Secrets are never taken as arguments. The keystore passphrase comes from BORG_PASSPHRASE, or is asked twice on the terminal; with no terminal, BORG_PASSPHRASE must be set (an empty value is allowed but leaves the file unprotected). An optional BIP39 passphrase (the "25th word") comes from BORG_MNEMONIC_PASSPHRASE, or from a hidden prompt with --mnemonic-passphrase-prompt; it is needed again, with the words, to restore.

Refuses to replace an existing identity (exit 6) unless --force is given; the old file is then kept as identity.json.replaced-<time>.

Environment: BORG_HOME (where identity.json lives), BORG_PASSPHRASE, BORG_MNEMONIC_PASSPHRASE, BORG_KDF_FAST=1 (tests only: weak scrypt parameters, insecure).`

  static override examples = [
    { description: 'Create an identity, typing the keystore passphrase at the prompt:', command: '<%= config.bin %> id new' },
    { description: 'Without a terminal: the keystore passphrase from the environment (read from a file, never typed as an argument):', command: '$ BORG_PASSPHRASE="$(cat ~/.borg-pass)" <%= config.bin %> id new --json' },
    { description: 'Save the words to a file (stdout gets the words alone) and restore from it on another machine:', command: '$ <%= config.bin %> id new > words.txt && <%= config.bin %> id restore < words.txt' },
    { description: 'Add a BIP39 passphrase ("25th word") on top of the words:', command: '<%= config.bin %> id new --mnemonic-passphrase-prompt' },
  ]

  static override flags = {
    force: Flags.boolean({ description: 'Replace an existing identity; the old keystore file is kept as a backup copy.', default: false }),
    'mnemonic-passphrase-prompt': Flags.boolean({
      description: 'Ask on the terminal (hidden, twice) for an optional BIP39 passphrase instead of reading BORG_MNEMONIC_PASSPHRASE.',
      default: false,
    }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(IdNew)
    // Loaded on use, so `--help` and other commands do not pay for the key and cipher code.
    const [{ createIdentity }, { identityLines, mnemonicLines }] = await Promise.all([import('../../core/identity/identity.js'), import('./render.js')])
    const { mnemonic, identity, bip39Passphrase } = await createIdentity({
      home: borgHome(),
      input: terminal.open(),
      force: flags.force,
      promptMnemonicPassphrase: flags['mnemonic-passphrase-prompt'],
    })
    if (!this.jsonOutput) {
      logWarn(
        'these 24 words ARE your identity. Write them down on paper, in order, and keep them offline. ' +
          'They are shown only this once and are not stored: anyone who has them can act as you, and without them ' +
          '(or this keystore and its passphrase) the identity cannot be recovered.',
      )
      if (bip39Passphrase) logWarn('a BIP39 passphrase was used: restoring needs it as well as the words; the words alone give a different identity.')
    }
    if (!this.jsonOutput && !process.stdout.isTTY) {
      // Saved to a file or piped on: the words alone, as `borg id restore < words.txt` reads them back.
      printData(mnemonic)
      for (const line of identityLines(identity)) logInfo(line)
      return
    }
    this.emit({ mnemonic, bip39Passphrase, ...identity }, () => [
      'Recovery words (in order):',
      '',
      ...mnemonicLines(mnemonic),
      '',
      ...identityLines(identity),
    ])
  }
}
