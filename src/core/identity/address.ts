/**
 * Dogecoin P2PKH addresses and WIF private keys: base58check of a version
 * byte plus HASH160(public key) or the 32-byte secret.
 *
 * Version bytes come from Dogecoin Core's chainparams.cpp (anchors.md §E.3).
 * Regtest is configurable because two values exist in the wild: 1.14-era
 * regtest reuses Bitcoin's 111/239, the 1.21-dev branch uses 113/241.
 */
import { createBase58check } from '@scure/base'
import { hash160, sha256 } from '../crypto/hash.js'
import { BorgError } from '../errors.js'

export interface Network {
  name: 'mainnet' | 'testnet' | 'regtest'
  /** Version byte of P2PKH addresses. */
  p2pkh: number
  /** Version byte of WIF private keys. */
  wif: number
}

export const MAINNET: Network = { name: 'mainnet', p2pkh: 0x1e, wif: 0x9e }
export const TESTNET: Network = { name: 'testnet', p2pkh: 0x71, wif: 0xf1 }

/** Regtest with the given version bytes; the default is dogecoin 1.14's (Bitcoin's) 0x6F/0xEF. */
export function regtestNetwork(versions: { p2pkh?: number; wif?: number } = {}): Network {
  const p2pkh = versions.p2pkh ?? 0x6f
  const wif = versions.wif ?? 0xef
  for (const v of [p2pkh, wif]) {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`version byte out of range: ${v}`)
  }
  return { name: 'regtest', p2pkh, wif }
}

export const REGTEST: Network = regtestNetwork()

/** The networks tried, in order, when the caller does not name one. */
export const KNOWN_NETWORKS: readonly Network[] = [MAINNET, TESTNET, REGTEST]

const base58check = createBase58check(sha256)
const HASH160_BYTES = 20

export function addressFromHash160(hash: Uint8Array, network: Network = MAINNET): string {
  if (hash.length !== HASH160_BYTES) throw new RangeError(`HASH160 must be ${HASH160_BYTES} bytes`)
  const payload = new Uint8Array(1 + HASH160_BYTES)
  payload[0] = network.p2pkh
  payload.set(hash, 1)
  return base58check.encode(payload)
}

/** P2PKH address of a SEC1 public key (33-byte compressed for borg keys; 65-byte uncompressed also works). */
export function p2pkhAddress(publicKey: Uint8Array, network: Network = MAINNET): string {
  if (publicKey.length !== 33 && publicKey.length !== 65) throw new RangeError('public key must be 33 or 65 bytes')
  return addressFromHash160(hash160(publicKey), network)
}

function asList(networks: Network | readonly Network[]): readonly Network[] {
  return 'p2pkh' in networks ? [networks] : networks
}

export interface ParsedAddress {
  network: Network
  hash160: Uint8Array
}

function decodeBase58check(text: string, what: string): Uint8Array {
  if (!/^[1-9A-HJ-NP-Za-km-z]+$/.test(text)) {
    throw new BorgError('invalid-input', `${what} contains characters that are not base58 (0, O, I and l are never used)`)
  }
  try {
    return base58check.decode(text)
  } catch {
    throw new BorgError('invalid-input', `${what} has a bad checksum: it was mistyped or truncated`)
  }
}

function describeVersion(version: number): string {
  const known = KNOWN_NETWORKS.find((n) => n.p2pkh === version)
  if (known) return `a ${known.name} address`
  if (version === 0x16) return 'a Dogecoin P2SH (script) address, not a key address'
  if (version === 0x00) return 'a Bitcoin address'
  return `an address with unknown version byte 0x${version.toString(16).padStart(2, '0')}`
}

/**
 * Parse and validate a P2PKH address: base58 alphabet, checksum, length and
 * version byte. `networks` limits what is accepted (default: all known).
 */
export function parseAddress(address: string, networks: Network | readonly Network[] = KNOWN_NETWORKS): ParsedAddress {
  const allowed = asList(networks)
  const text = address.trim()
  const bytes = decodeBase58check(text, `address "${text}"`)
  if (bytes.length !== 1 + HASH160_BYTES) {
    throw new BorgError('invalid-input', `address "${text}" decodes to ${bytes.length} bytes, expected ${1 + HASH160_BYTES}`)
  }
  const network = allowed.find((n) => n.p2pkh === bytes[0])
  if (!network) {
    const names = allowed.map((n) => n.name)
    const expected = names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : names[0]
    throw new BorgError('invalid-input', `address "${text}" is ${describeVersion(bytes[0]!)}; expected a ${expected} P2PKH address`)
  }
  return { network, hash160: bytes.slice(1) }
}

export function isValidAddress(address: string, networks: Network | readonly Network[] = KNOWN_NETWORKS): boolean {
  try {
    parseAddress(address, networks)
    return true
  } catch {
    return false
  }
}

/** Wallet Import Format: version || secret || 0x01 (compressed public key). */
export function encodeWif(secretKey: Uint8Array, network: Network = MAINNET, compressed = true): string {
  if (secretKey.length !== 32) throw new RangeError('secret key must be 32 bytes')
  const payload = new Uint8Array(compressed ? 34 : 33)
  payload[0] = network.wif
  payload.set(secretKey, 1)
  if (compressed) payload[33] = 0x01
  return base58check.encode(payload)
}

export interface ParsedWif {
  network: Network
  secretKey: Uint8Array
  compressed: boolean
}

export function decodeWif(wif: string, networks: Network | readonly Network[] = KNOWN_NETWORKS): ParsedWif {
  const allowed = asList(networks)
  const bytes = decodeBase58check(wif.trim(), 'private key (WIF)')
  const compressed = bytes.length === 34 && bytes[33] === 0x01
  if (!compressed && bytes.length !== 33) throw new BorgError('invalid-input', 'private key (WIF) has the wrong length')
  const network = allowed.find((n) => n.wif === bytes[0])
  if (!network) throw new BorgError('invalid-input', `private key (WIF) has unexpected version byte 0x${bytes[0]!.toString(16)}`)
  return { network, secretKey: bytes.slice(1, 33), compressed }
}
