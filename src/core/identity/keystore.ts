/**
 * The encrypted identity file, `$BORG_HOME/identity.json`.
 *
 * It holds the 64-byte BIP39 seed (never the words), so later code can derive
 * more keys. At rest the seed is sealed with XChaCha20-Poly1305 under a key
 * from scrypt (memory-hard, so a stolen file resists guessing: ~0.5 s and
 * 128 MiB per guess at the default N=2^17, r=8, p=1). The KDF parameters are
 * recorded in the file so it opens even after defaults change.
 *
 * The header (address, public key, path, creation time) is stored in clear so
 * `borg id show` needs no passphrase, and is bound to the ciphertext as AEAD
 * associated data, so any edit to it is caught on unlock.
 *
 * scrypt yields 64 bytes: the first 32 are the AEAD key, the SHA-256 of the
 * last 32 is stored as `check`. That tells a wrong passphrase apart from a
 * modified file without helping an attacker: testing a guess against `check`
 * costs the same scrypt run as testing it against the ciphertext.
 */
import { scrypt as scryptCallback, randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { bytesToHex, equalBytes, parseHex, utf8 } from '../bytes.js'
import { sha256 } from '../crypto/hash.js'
import { isValidPublicKey } from '../crypto/secp256k1.js'
import { BorgError } from '../errors.js'
import { MAINNET, isValidAddress, p2pkhAddress } from './address.js'
import { SEED_BYTES } from './derive.js'
import { writeFileAtomic } from '../store/atomic-file.js'
import { writeFileExclusive } from './exclusive-file.js'

const scrypt = promisify(scryptCallback) as (
  password: Uint8Array,
  salt: Uint8Array,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>

export interface ScryptParams {
  N: number
  r: number
  p: number
}

export const KDF_DEFAULT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 }
/** INSECURE, for tests only: ~100x cheaper to brute-force than the default. Selected by BORG_KDF_FAST=1. */
export const KDF_FAST_INSECURE: ScryptParams = { N: 2 ** 10, r: 8, p: 1 }

export function kdfParamsFromEnv(env: NodeJS.ProcessEnv = process.env): ScryptParams {
  return env.BORG_KDF_FAST === '1' ? KDF_FAST_INSECURE : KDF_DEFAULT
}

export function isInsecureKdf(params: ScryptParams): boolean {
  return params.N < KDF_DEFAULT.N
}

export const KEYSTORE_FORMAT = 'borg-keystore'
export const KEYSTORE_VERSION = 1
const SALT_BYTES = 16
const NONCE_BYTES = 24
const TAG_BYTES = 16
const MIB = 1024 * 1024
const MAX_SCRYPT_MEMORY = 1024 * MIB // refuse files that would make us allocate more

/** The clear, authenticated part of the file. publicKey is hex; created is ISO 8601. */
export interface KeystoreHeader {
  address: string
  publicKey: string
  path: string
  created: string
}

export interface KeystoreFile {
  format: typeof KEYSTORE_FORMAT
  version: typeof KEYSTORE_VERSION
  header: KeystoreHeader
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string }
  cipher: { name: 'xchacha20-poly1305'; nonce: string }
  check: string
  ciphertext: string
}

/** Associated data: everything in the file except the nonce, check and ciphertext, in a fixed order. */
function associatedData(file: Pick<KeystoreFile, 'header' | 'kdf' | 'cipher'>): Uint8Array {
  const { header: h, kdf: k } = file
  return utf8.encode(
    JSON.stringify([KEYSTORE_FORMAT, KEYSTORE_VERSION, h.address, h.publicKey, h.path, h.created, k.name, k.N, k.r, k.p, k.salt, file.cipher.name]),
  )
}

async function deriveKeys(passphrase: string, salt: Uint8Array, params: ScryptParams): Promise<{ key: Uint8Array; check: Uint8Array }> {
  const memory = 128 * params.N * params.r
  // NFKD so the same passphrase typed on another system (composed vs decomposed accents) still opens the file.
  const out = await scrypt(utf8.encode(passphrase.normalize('NFKD')), salt, 64, {
    N: params.N,
    r: params.r,
    p: params.p,
    maxmem: Math.max(256 * MIB, 2 * memory),
  })
  const bytes = new Uint8Array(out)
  return { key: bytes.slice(0, 32), check: sha256(bytes.subarray(32)) }
}

function checkParams(params: ScryptParams): void {
  const { N, r, p } = params
  const ok =
    Number.isSafeInteger(N) && N >= 2 && (N & (N - 1)) === 0 &&
    Number.isSafeInteger(r) && r >= 1 && r <= 64 &&
    Number.isSafeInteger(p) && p >= 1 && p <= 16 &&
    128 * N * r <= MAX_SCRYPT_MEMORY
  if (!ok) throw new BorgError('corrupt-keystore', `keystore has unusable scrypt parameters N=${N} r=${r} p=${p}`)
}

/** Encrypt a seed under a passphrase. Pure apart from randomness; nothing is written. */
export async function sealKeystore(
  seed: Uint8Array,
  header: KeystoreHeader,
  passphrase: string,
  params: ScryptParams = KDF_DEFAULT,
): Promise<KeystoreFile> {
  if (seed.length !== SEED_BYTES) throw new BorgError('internal', `seed must be ${SEED_BYTES} bytes`)
  checkParams(params)
  const salt = new Uint8Array(randomBytes(SALT_BYTES))
  const nonce = new Uint8Array(randomBytes(NONCE_BYTES))
  const shell = {
    header: { ...header },
    kdf: { name: 'scrypt' as const, N: params.N, r: params.r, p: params.p, salt: bytesToHex(salt) },
    cipher: { name: 'xchacha20-poly1305' as const, nonce: bytesToHex(nonce) },
  }
  const { key, check } = await deriveKeys(passphrase, salt, params)
  const ciphertext = xchacha20poly1305(key, nonce, associatedData(shell)).encrypt(seed)
  key.fill(0)
  return { format: KEYSTORE_FORMAT, version: KEYSTORE_VERSION, ...shell, check: bytesToHex(check), ciphertext: bytesToHex(ciphertext) }
}

/** Decrypt the seed. 'wrong-passphrase' or 'corrupt-keystore' (the file was modified) on failure. */
export async function openKeystore(file: KeystoreFile, passphrase: string): Promise<Uint8Array> {
  checkParams(file.kdf)
  const { key, check } = await deriveKeys(passphrase, parseHex(file.kdf.salt), file.kdf)
  if (!equalBytes(check, parseHex(file.check))) {
    key.fill(0)
    throw new BorgError('wrong-passphrase', 'wrong keystore passphrase')
  }
  try {
    return xchacha20poly1305(key, parseHex(file.cipher.nonce), associatedData(file)).decrypt(parseHex(file.ciphertext))
  } catch {
    throw new BorgError('corrupt-keystore', 'the keystore was modified: its header or ciphertext no longer matches (the passphrase is right)')
  } finally {
    key.fill(0)
  }
}

export function serializeKeystore(file: KeystoreFile): string {
  return `${JSON.stringify(file, null, 2)}\n`
}

function corrupt(why: string): BorgError {
  return new BorgError('corrupt-keystore', `keystore is damaged or not a borg keystore: ${why}`)
}

function hexField(value: unknown, bytes: number, name: string): string {
  if (typeof value !== 'string' || !/^[0-9a-f]*$/.test(value) || value.length !== bytes * 2) {
    throw corrupt(`${name} must be ${bytes} bytes of lower-case hex`)
  }
  return value
}

function stringField(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw corrupt(`${name} is missing`)
  return value
}

function numberField(value: unknown, name: string): number {
  if (typeof value !== 'number') throw corrupt(`${name} is missing`)
  return value
}

function record(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw corrupt(`${name} is missing`)
  return value as Record<string, unknown>
}

/** Strict parse of the file text; anything unexpected is 'corrupt-keystore'. Does not need the passphrase. */
export function parseKeystore(text: string): KeystoreFile {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw corrupt('not valid JSON (truncated?)')
  }
  const top = record(raw, 'the top-level object')
  if (top.format !== KEYSTORE_FORMAT) throw corrupt(`format is ${JSON.stringify(top.format)}, expected "${KEYSTORE_FORMAT}"`)
  if (top.version !== KEYSTORE_VERSION) {
    throw new BorgError('corrupt-keystore', `unsupported keystore version ${JSON.stringify(top.version)}; this borg reads version ${KEYSTORE_VERSION}`)
  }
  const h = record(top.header, 'header')
  const header: KeystoreHeader = {
    address: stringField(h.address, 'header.address'),
    publicKey: hexField(h.publicKey, 33, 'header.publicKey'),
    path: stringField(h.path, 'header.path'),
    created: stringField(h.created, 'header.created'),
  }
  const publicKey = parseHex(header.publicKey)
  if (!isValidPublicKey(publicKey)) throw corrupt('header.publicKey is not a secp256k1 point')
  if (!isValidAddress(header.address, MAINNET) || p2pkhAddress(publicKey) !== header.address) {
    throw corrupt('header.address does not belong to header.publicKey')
  }
  const k = record(top.kdf, 'kdf')
  if (k.name !== 'scrypt') throw corrupt(`unknown kdf ${JSON.stringify(k.name)}`)
  const kdf = { name: 'scrypt' as const, N: numberField(k.N, 'kdf.N'), r: numberField(k.r, 'kdf.r'), p: numberField(k.p, 'kdf.p'), salt: hexField(k.salt, SALT_BYTES, 'kdf.salt') }
  checkParams(kdf)
  const c = record(top.cipher, 'cipher')
  if (c.name !== 'xchacha20-poly1305') throw corrupt(`unknown cipher ${JSON.stringify(c.name)}`)
  return {
    format: KEYSTORE_FORMAT,
    version: KEYSTORE_VERSION,
    header,
    kdf,
    cipher: { name: 'xchacha20-poly1305', nonce: hexField(c.nonce, NONCE_BYTES, 'cipher.nonce') },
    check: hexField(top.check, 32, 'check'),
    ciphertext: hexField(top.ciphertext, SEED_BYTES + TAG_BYTES, 'ciphertext'),
  }
}

/** Read and parse; 'not-found' (with what to run) when there is no identity yet. */
export async function readKeystore(path: string): Promise<KeystoreFile> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new BorgError('not-found', `no identity at ${path}; create one with \`borg id new\` or restore one with \`borg id restore\``)
    }
    throw error
  }
  return parseKeystore(text)
}

/** Write at mode 0600 (directory 0700). Without `replace`, an existing file is never overwritten: 'exists'. */
export async function writeKeystore(path: string, file: KeystoreFile, options: { replace?: boolean } = {}): Promise<void> {
  const text = serializeKeystore(file)
  if (options.replace) return writeFileAtomic(path, text, 0o600)
  if (!(await writeFileExclusive(path, text, 0o600))) {
    throw new BorgError('exists', `an identity already exists at ${path}`)
  }
}
