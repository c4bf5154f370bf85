import { Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { terminal } from '../../cli/prompt.js'
import { borgHome } from '../../core/store/paths.js'

export default class IdRestore extends BorgCommand {
  static override summary = 'Restore your identity from its 12-24 recovery words'

  static override description = `Reads BIP39 recovery words (12, 15, 18, 21 or 24, English list) and recreates the same identity \`borg id new\` made from them: same key, same address. The words are read from stdin when it is piped, otherwise typed at a prompt; never from arguments. Case, extra spaces and the numbers \`borg id new\` prints are ignored. A misspelt word is reported by position with the closest list words; a phrase whose words are all valid but whose checksum fails is reported as such.

If a BIP39 passphrase ("25th word") was used, give it via BORG_MNEMONIC_PASSPHRASE or --mnemonic-passphrase-prompt: a different passphrase silently yields a different identity, so compare the printed address with the one you expect. The seed is then encrypted like \`borg id new\` does, with BORG_PASSPHRASE or a passphrase asked twice on the terminal (BORG_PASSPHRASE is required when the words are piped).

Refuses to replace an existing identity (exit 6) unless --force is given; the old file is then kept as identity.json.replaced-<time>.

Environment: BORG_HOME, BORG_PASSPHRASE, BORG_MNEMONIC_PASSPHRASE, BORG_KDF_FAST=1 (tests only: weak scrypt parameters, insecure).`

  static override examples = [
    { description: 'Type the words at the prompt:', command: '<%= config.bin %> id restore' },
    {
      description: 'Pipe the words from a file (keystore passphrase from the environment):',
      command: '$ BORG_PASSPHRASE="$(cat ~/.borg-pass)" <%= config.bin %> id restore < words.txt',
    },
    { description: 'Restore words that were created with a BIP39 passphrase:', command: '<%= config.bin %> id restore --mnemonic-passphrase-prompt' },
  ]

  static override flags = {
    force: Flags.boolean({ description: 'Replace an existing identity; the old keystore file is kept as a backup copy.', default: false }),
    'mnemonic-passphrase-prompt': Flags.boolean({
      description: 'Ask on the terminal (hidden, twice) for the BIP39 passphrase instead of reading BORG_MNEMONIC_PASSPHRASE.',
      default: false,
    }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(IdRestore)
    // Loaded on use, so `--help` and other commands do not pay for the key and cipher code.
    const [{ restoreIdentity }, { identityLines }] = await Promise.all([import('../../core/identity/identity.js'), import('./render.js')])
    const { identity, bip39Passphrase } = await restoreIdentity({
      home: borgHome(),
      input: terminal.open(),
      force: flags.force,
      promptMnemonicPassphrase: flags['mnemonic-passphrase-prompt'],
    })
    this.note(`Restored. Check that this is the address you expect${bip39Passphrase ? ' (a BIP39 passphrase was used)' : ''}:`)
    this.emit({ bip39Passphrase, ...identity }, () => identityLines(identity))
  }
}
