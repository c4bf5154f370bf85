/** Flags several commands share, defined once so their names and help never drift apart. */
import { Flags } from '@oclif/core'

/** --node HOST:PORT: a storage command goes through another node than the local one. */
export const storageNodeFlag = () =>
  Flags.string({ description: 'HOST:PORT of any port of a node (it must run shard and files cells) to use instead of the local node.' })

/** --identity on reads: act as the identity (encrypted files); implied with BORG_PASSPHRASE (readerRole). */
export const readAsIdentityFlag = () =>
  Flags.boolean({ description: 'Read as your identity (needed for encrypted files; implied when this home has one and BORG_PASSPHRASE is set).', default: false })

/** --cell NAME: which of the node's cells (its tree) a node command uses. */
export const cellFlag = (what?: string) => Flags.string({ description: `Which cell's tree${what ? ` ${what}` : ''} (default: the first one the node runs).` })

/** -q/--quiet, for the commands that show transfer progress on a terminal's stderr. */
export const quietFlag = () => Flags.boolean({ char: 'q', description: 'Show no progress on stderr (it is shown only when stderr is a terminal).', default: false })
