import { Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { terminal } from '../../cli/prompt.js'
import { borgHome } from '../../core/store/paths.js'

export default class IdShow extends BorgCommand {
  static override summary = 'Show your address, public key and node id (no passphrase needed)'

  static override description = `Prints the identity in $BORG_HOME/identity.json: its Dogecoin address (P2PKH, starts with D), compressed public key, derivation path and creation time, plus the node id (public key of the node signing key in node/node-key.json) when this home has one. These come from the keystore's clear header, so no passphrase is needed.

--verify also unlocks the keystore (BORG_PASSPHRASE or a prompt) and checks that the header matches the decrypted key; a modified header or ciphertext is reported as a corrupt keystore (exit 5), a wrong passphrase as such (exit 5).`

  static override examples = [
    { description: 'Show the identity:', command: '<%= config.bin %> id show' },
    { description: 'Just the address, for scripts:', command: "<%= config.bin %> id show --json | jq -r .address" },
    { description: 'Unlock the keystore and check it is intact:', command: '<%= config.bin %> id show --verify' },
  ]

  static override flags = {
    verify: Flags.boolean({ description: 'Unlock the keystore (needs the passphrase) and check the header against the decrypted key.', default: false }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(IdShow)
    // Loaded on use, so `--help` and other commands do not pay for the key and cipher code.
    const [{ showIdentity }, { identityLines }] = await Promise.all([import('../../core/identity/identity.js'), import('./render.js')])
    const identity = await showIdentity(borgHome(), flags.verify ? { input: terminal.open() } : undefined)
    this.emit(identity, () => identityLines(flags.verify ? identity : { ...identity, verified: undefined }))
  }
}
