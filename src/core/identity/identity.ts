/**
 * The identity operations behind `borg id new|restore|show`, kept out of the
 * command classes so they can be tested with an injected SecretInput.
 */
import { chmod, copyFile, constants, access } from 'node:fs/promises'
import { bytesToHex, equalBytes, parseHex } from '../bytes.js'
import { BorgError } from '../errors.js'
import { paths } from '../store/paths.js'
import { IDENTITY_PATH, deriveIdentityKey, type IdentityKey } from './derive.js'
import {
  isInsecureKdf,
  kdfParamsFromEnv,
  openKeystore,
  readKeystore,
  sealKeystore,
  writeKeystore,
  type KeystoreFile,
  type KeystoreHeader,
  type ScryptParams,
} from './keystore.js'
import { generateMnemonic, mnemonicToSeed, parseMnemonic } from './mnemonic.js'
import { loadNodeKey } from './node-key.js'
import {
  keystorePassphrase,
  mnemonicPassphrase,
  readMnemonicText,
  requireKeystorePassphraseSource,
  type SecretInput,
} from './secret-input.js'

export interface IdentitySummary {
  address: string
  publicKey: string // hex, 33-byte compressed
  path: string
  created: string
  nodeId: string | null // hex key id (0xed + Ed25519 public key) of node-key.json, if this home has one
  keystore: string // file path
  kdf: { name: 'scrypt' } & ScryptParams
}

export interface WriteOptions {
  home: string
  input: SecretInput
  env?: NodeJS.ProcessEnv
  /** Replace an existing identity (a backup copy of the old file is kept). */
  force?: boolean
  /** Ask for a BIP39 passphrase on the terminal instead of reading BORG_MNEMONIC_PASSPHRASE. */
  promptMnemonicPassphrase?: boolean
  /** Defaults to kdfParamsFromEnv(env); tests pass KDF_FAST_INSECURE. */
  kdf?: ScryptParams
  now?: () => Date
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}

async function refuseOverwrite(path: string): Promise<void> {
  if (!(await exists(path))) return
  const address = await readKeystore(path).then(
    (file) => ` (address ${file.header.address})`,
    () => '',
  )
  throw new BorgError(
    'exists',
    `an identity already exists at ${path}${address}. \`borg id show\` prints it; ` +
      'to replace it, run again with --force (the old file is kept as a backup)',
  )
}

/** Copy the current keystore aside before --force replaces it; returns the backup path. */
async function backUp(path: string, now: Date): Promise<string | undefined> {
  if (!(await exists(path))) return undefined
  const backup = `${path}.replaced-${now.toISOString().replace(/[:.]/g, '-')}`
  await copyFile(path, backup, constants.COPYFILE_EXCL)
  await chmod(backup, 0o600)
  return backup
}

async function summarize(home: string, header: KeystoreHeader, kdf: ScryptParams): Promise<IdentitySummary> {
  const nodeKey = await loadNodeKey(home)
  return {
    ...header,
    nodeId: nodeKey ? bytesToHex(nodeKey.id) : null,
    keystore: paths.identity(home),
    kdf: { name: 'scrypt', N: kdf.N, r: kdf.r, p: kdf.p },
  }
}

/** Shared tail of new and restore: derive, encrypt, write. */
async function store(options: WriteOptions, seed: Uint8Array, passphrase: string): Promise<IdentitySummary & { backup?: string }> {
  const env = options.env ?? process.env
  const now = (options.now ?? (() => new Date()))()
  const kdf = options.kdf ?? kdfParamsFromEnv(env)
  if (isInsecureKdf(kdf)) options.input.warn(`INSECURE test-only scrypt parameters (N=${kdf.N}, from BORG_KDF_FAST=1); never use them for a real identity`)
  const key = deriveIdentityKey(seed, IDENTITY_PATH)
  const header: KeystoreHeader = { address: key.address, publicKey: bytesToHex(key.publicKey), path: key.path, created: now.toISOString() }
  const file = await sealKeystore(seed, header, passphrase, kdf)
  seed.fill(0)
  const path = paths.identity(options.home)
  const backup = options.force ? await backUp(path, now) : undefined
  await writeKeystore(path, file, { replace: options.force })
  const summary = await summarize(options.home, header, kdf)
  return backup ? { ...summary, backup } : summary
}

/** `borg id new`: fresh 24 words. The mnemonic is returned once, for the caller to show, and never stored. */
export async function createIdentity(
  options: WriteOptions,
): Promise<{ mnemonic: string; identity: IdentitySummary & { backup?: string }; bip39Passphrase: boolean }> {
  const env = options.env ?? process.env
  if (!options.force) await refuseOverwrite(paths.identity(options.home))
  requireKeystorePassphraseSource(options.input, env)
  const bip39Passphrase = await mnemonicPassphrase(options.input, env, { prompt: Boolean(options.promptMnemonicPassphrase), confirm: true })
  const passphrase = await keystorePassphrase(options.input, env, { confirm: true })
  const mnemonic = generateMnemonic()
  const identity = await store(options, await mnemonicToSeed(mnemonic, bip39Passphrase), passphrase)
  return { mnemonic, identity, bip39Passphrase: bip39Passphrase !== '' }
}

/** `borg id restore`: words from stdin or the terminal, then the same derivation as `id new`. */
export async function restoreIdentity(
  options: WriteOptions,
): Promise<{ identity: IdentitySummary & { backup?: string }; bip39Passphrase: boolean }> {
  const env = options.env ?? process.env
  if (!options.force) await refuseOverwrite(paths.identity(options.home))
  requireKeystorePassphraseSource(options.input, env)
  if (options.promptMnemonicPassphrase && !options.input.interactive) {
    throw new BorgError('usage', '--mnemonic-passphrase-prompt needs a terminal; set BORG_MNEMONIC_PASSPHRASE instead')
  }
  const mnemonic = parseMnemonic(await readMnemonicText(options.input))
  const bip39Passphrase = await mnemonicPassphrase(options.input, env, { prompt: Boolean(options.promptMnemonicPassphrase), confirm: true })
  const passphrase = await keystorePassphrase(options.input, env, { confirm: true })
  const identity = await store(options, await mnemonicToSeed(mnemonic, bip39Passphrase), passphrase)
  return { identity, bip39Passphrase: bip39Passphrase !== '' }
}

export interface UnlockedIdentity {
  header: KeystoreHeader
  /** The 64-byte BIP39 seed; derive further keys from it. */
  seed: Uint8Array
  key: IdentityKey
}

async function unlockFile(file: KeystoreFile, passphrase: string): Promise<UnlockedIdentity> {
  const seed = await openKeystore(file, passphrase)
  const key = deriveIdentityKey(seed, file.header.path)
  if (key.address !== file.header.address || !equalBytes(key.publicKey, parseHex(file.header.publicKey))) {
    throw new BorgError('corrupt-keystore', 'the keystore header does not match the key its seed derives')
  }
  return { header: file.header, seed, key }
}

/** Decrypt identity.json and check its clear header against the key the seed derives. */
export async function unlockIdentity(home: string, passphrase: string): Promise<UnlockedIdentity> {
  return unlockFile(await readKeystore(paths.identity(home)), passphrase)
}

/** `borg id show`: reads only the clear header unless `verify` is given (then it unlocks). */
export async function showIdentity(
  home: string,
  verify?: { input: SecretInput; env?: NodeJS.ProcessEnv },
): Promise<IdentitySummary & { verified: boolean }> {
  const file = await readKeystore(paths.identity(home))
  if (verify) {
    const passphrase = await keystorePassphrase(verify.input, verify.env ?? process.env, { confirm: false })
    const unlocked = await unlockFile(file, passphrase)
    unlocked.seed.fill(0)
    unlocked.key.secretKey.fill(0)
  }
  return { ...(await summarize(home, file.header, file.kdf)), verified: Boolean(verify) }
}
