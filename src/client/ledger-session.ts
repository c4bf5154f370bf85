/**
 * What `borg wallet …` and `borg ledger status` run (the commands only parse
 * and print): the ledger cell to enter the network at (the local node's, or
 * the one of the node at --node HOST:PORT), a ledger client over signed
 * HTTPS as this home's node key, and — for commands that sign blocks — the
 * unlocked identity, whose account the wallet drives.
 */
import { BorgError } from '../core/errors.js'
import { bytesToHex, hexToBytes, parseHex } from '../core/bytes.js'
import { ALG_SECP256K1, isValidKeyId, keyId } from '../core/crypto/key-id.js'
import { showIdentity } from '../core/identity/identity.js'
import { loadSigner } from '../core/identity/load-signer.js'
import { loadOrCreateNodeKey } from '../core/identity/node-key.js'
import type { SecretInput } from '../core/identity/secret-input.js'
import { nodeSigner } from '../core/identity/signer.js'
import { addressFromHash160, parseAddress, regtestNetwork } from '../core/identity/address.js'
import { hash160 } from '../core/crypto/hash.js'
import { silentLogger } from '../core/log.js'
import { HttpsTransport } from '../core/net/https-transport.js'
import { LedgerClient } from './ledger-client.js'
import { Wallet } from './wallet.js'
import { cellEntry } from './cell-entry.js'

export interface LedgerSession {
  client: LedgerClient
  close(): Promise<void>
}

export async function openLedger(home: string, node?: string): Promise<LedgerSession> {
  const transport = new HttpsTransport({ signer: nodeSigner(await loadOrCreateNodeKey(home)), log: silentLogger, timeoutMs: 15_000 })
  try {
    const entry = await cellEntry(home, node, transport, 'ledger')
    return { client: new LedgerClient({ transport, entry }), close: () => transport.close() }
  } catch (error) {
    await transport.close()
    throw error
  }
}

/** The wallet of this home's identity (unlocked: BORG_PASSPHRASE or a prompt). */
export async function openWallet(session: LedgerSession, home: string, input: SecretInput): Promise<Wallet> {
  const { signer, spending } = await loadSigner(home, 'identity', input)
  return new Wallet(session.client, signer, { spending })
}

/** This home's identity account (key id hex), without unlocking it. */
export async function ownAccount(home: string): Promise<string> {
  const summary = await showIdentity(home).catch(() => {
    throw new BorgError('not-found', `no identity in ${home}: create one with "borg id new" (or name an ADDRESS)`)
  })
  return bytesToHex(keyId(ALG_SECP256K1, hexToBytes(summary.publicKey)))
}

/** An address text of an account key id on a network with this address version. */
export function addressOfAccount(account: string, addressVersion: number): string {
  return addressFromHash160(hash160(parseHex(account).subarray(1)), regtestNetwork({ p2pkh: addressVersion }))
}

/** Check an address against the network's version byte: `invalid-input` when it is malformed or of another network. */
export function checkAddress(address: string, addressVersion: number): string {
  parseAddress(address.trim(), regtestNetwork({ p2pkh: addressVersion }))
  return address.trim()
}

/** A representative named by node id, or by the address of a committee member. */
export function representativeOf(text: string, committee: Iterable<string>, addressVersion: number): string {
  const value = text.trim()
  const lower = value.toLowerCase()
  if (/^[0-9a-f]+$/.test(lower)) {
    let bytes: Uint8Array
    try {
      bytes = parseHex(lower)
    } catch {
      throw new BorgError('usage', `${value} is not a node id`)
    }
    if (!isValidKeyId(bytes)) throw new BorgError('usage', `${value} is not a valid key id`)
    return lower
  }
  checkAddress(value, addressVersion)
  for (const id of committee) if (addressOfAccount(id, addressVersion) === value) return id
  throw new BorgError('not-found', `${value} is not the address of a representative of this epoch's committee; name a representative by its node id`)
}
