/**
 * The identity the conduit acts as, unlocked in this process only (docs/conduit.md
 * "Trust model"): the page sends the passphrase, or the 24 words to restore
 * from, once; the conduit keeps the derived signers and file keys in memory
 * and hands the page nothing but public facts. The seed itself is wiped as
 * soon as the keys are derived, as the CLI does.
 */
import { BorgError } from '../core/errors.js'
import { createIdentity, restoreIdentity, showIdentity, unlockIdentity } from '../core/identity/identity.js'
import type { SecretInput } from '../core/identity/secret-input.js'
import { identitySigner, type Signer } from '../core/identity/signer.js'
import { p2pkhAddress } from '../core/identity/address.js'
import { spendingSignerOf } from '../core/ledger/spending-key.js'
import { fileKeysFromIdentity, type FileKeys } from '../core/storage/file-crypto.js'

export interface Unlocked {
  /** Signs as the identity (owner of files, ledger account). */
  signer: Signer
  /** The identity's ledger spending key. */
  spending: Signer
  keys: FileKeys
  address: string
  /** The identity's secret key: mail is opened and sealed with it (NIP-44), here and nowhere else. */
  secretKey: Uint8Array
  publicKey: Uint8Array
}

export type IdentityState = { state: 'none' } | { state: 'locked' | 'unlocked'; address: string; publicKey: string }

/** Input for the identity functions with no terminal: the words come from the page, nothing is prompted. */
function pageInput(words = ''): SecretInput {
  return {
    interactive: false,
    askLine: () => Promise.reject(new BorgError('usage', 'the conduit asks nothing on a terminal')),
    askHidden: () => Promise.reject(new BorgError('usage', 'the conduit asks nothing on a terminal')),
    readAll: () => Promise.resolve(words),
    warn: () => {},
  }
}

const MIN_PASSPHRASE = 8

function checkPassphrase(passphrase: unknown): string {
  if (typeof passphrase !== 'string' || passphrase.length < MIN_PASSPHRASE || passphrase.length > 1024) throw new BorgError('invalid-input', `the passphrase is ${MIN_PASSPHRASE} to 1024 characters`)
  return passphrase
}

export class Keyring {
  private current?: Unlocked

  constructor(
    private readonly home: string,
    /** The environment for the keystore's KDF settings (BORG_KDF_FAST in tests). */
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  async state(): Promise<IdentityState> {
    const summary = await showIdentity(this.home).catch(() => undefined)
    if (!summary) return { state: 'none' }
    return { state: this.current ? 'unlocked' : 'locked', address: summary.address, publicKey: summary.publicKey }
  }

  /** The unlocked identity, or a clear refusal the page turns into its unlock form. */
  unlocked(): Unlocked {
    if (!this.current) throw new BorgError('refused', 'the identity is locked: unlock it with its passphrase first')
    return this.current
  }

  async unlock(passphrase: unknown): Promise<IdentityState> {
    const unlocked = await unlockIdentity(this.home, checkPassphrase(passphrase)).catch((error: unknown) => {
      if (error instanceof BorgError && error.code === 'not-found') throw new BorgError('not-found', 'there is no identity here yet: create one or restore it from its 24 words')
      throw error
    })
    unlocked.seed.fill(0)
    const secret = unlocked.key.secretKey
    this.current = { signer: identitySigner(unlocked.key), spending: spendingSignerOf(secret), keys: fileKeysFromIdentity(secret), address: p2pkhAddress(unlocked.key.publicKey), secretKey: Uint8Array.from(secret), publicKey: Uint8Array.from(unlocked.key.publicKey) }
    this.generation++
    return this.state()
  }

  lock(): void {
    this.current?.secretKey.fill(0)
    this.current = undefined
    this.generation++
  }

  /** Changes whenever the identity is unlocked or locked (what is cached for one unlocking goes with it). */
  generation = 0

  private envWith(passphrase: string): NodeJS.ProcessEnv {
    // The page supplies no BIP39 passphrase: the words alone, as `borg id new` makes them by default.
    const { BORG_MNEMONIC_PASSPHRASE: _ignored, ...rest } = this.env
    return { ...rest, BORG_PASSPHRASE: passphrase }
  }

  /** Fresh 24 words: returned once for the person to write down, never stored in clear. */
  async create(passphrase: unknown, replace = false): Promise<{ words: string; identity: IdentityState }> {
    const pass = checkPassphrase(passphrase)
    const made = await createIdentity({ home: this.home, input: pageInput(), env: this.envWith(pass), force: replace })
    await this.unlock(pass)
    return { words: made.mnemonic, identity: await this.state() }
  }

  /** The identity of these 24 words, sealed under `passphrase` (a replaced keystore is kept as a backup). */
  async restore(words: unknown, passphrase: unknown, replace = false): Promise<IdentityState> {
    if (typeof words !== 'string' || words.length > 1024) throw new BorgError('invalid-input', 'send the 24 words as one string')
    const pass = checkPassphrase(passphrase)
    await restoreIdentity({ home: this.home, input: pageInput(words), env: this.envWith(pass), force: replace })
    await this.unlock(pass)
    return this.state()
  }
}
