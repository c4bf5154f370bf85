/**
 * The identity key: BIP32 from the BIP39 seed at the BIP44 path of the first
 * Dogecoin receive address (SLIP-44 coin type 3), so any Dogecoin wallet
 * restored from the same words shows the same address.
 */
import { HDKey } from '@scure/bip32'
import { bytesToHex } from '../bytes.js'
import { BorgError } from '../errors.js'
import { MAINNET, p2pkhAddress, type Network } from './address.js'

export const IDENTITY_PATH = "m/44'/3'/0'/0/0"
export const SEED_BYTES = 64

export interface IdentityKey {
  path: string
  secretKey: Uint8Array // 32 bytes
  publicKey: Uint8Array // 33-byte compressed
  address: string
}

export function deriveIdentityKey(seed: Uint8Array, path: string = IDENTITY_PATH, network: Network = MAINNET): IdentityKey {
  if (seed.length !== SEED_BYTES) throw new BorgError('invalid-input', `BIP39 seed must be ${SEED_BYTES} bytes`)
  const node = HDKey.fromMasterSeed(seed).derive(path)
  if (!node.privateKey || !node.publicKey) throw new BorgError('internal', `derivation at ${path} gave no private key`)
  return { path, secretKey: node.privateKey, publicKey: node.publicKey, address: p2pkhAddress(node.publicKey, network) }
}

/** The public half, as stored in the keystore's clear header and printed by `borg id show`. */
export function describeIdentityKey(key: IdentityKey): { address: string; publicKey: string; path: string } {
  return { address: key.address, publicKey: bytesToHex(key.publicKey), path: key.path }
}
