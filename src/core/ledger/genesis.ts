/**
 * A network's genesis (docs/protocol.md §11.2, docs/ledger.md): a document,
 * signed by the treasury's key, that names the network, the treasury account
 * and the bootstrap representatives; its id (SHA-256 of the bytes before the
 * signature) is the `network` of every block and every vote, so each node of
 * that network pins it. The genesis block opens the treasury with the whole
 * supply (20,000,000 Shells) and is the only block without a source: nothing
 * is minted after it.
 *
 * Layout: magic "BSHG" · version 1 · created (u64 ms) · address version (u8) ·
 * name length (u8, 1…64) · name (UTF-8) · treasury (key id) · representative
 * count (u8, 1…64) · representatives (key ids) · signature (64)
 */
import { BorgError } from '../errors.js'
import { bytesToHex, concatBytes, equalBytes, utf8 } from '../bytes.js'
import { sha256 } from '../crypto/hash.js'
import { isValidKeyId, verifyByKeyId } from '../crypto/key-id.js'
import { ByteReader } from './byte-reader.js'
import { TOTAL_SUPPLY } from './amount.js'
import { signBlock, type SignedBlock } from './block.js'
import type { Committee } from './certificate.js'

export const GENESIS_MAGIC = Uint8Array.of(0x42, 0x53, 0x48, 0x47) // "BSHG"
export const GENESIS_VERSION = 1
export const MAX_REPRESENTATIVES = 64
export const MAX_NAME_BYTES = 64

export interface GenesisFields {
  name: string
  created: number
  addressVersion: number
  treasury: Uint8Array
  representatives: Uint8Array[]
}

export interface Genesis extends GenesisFields {
  signature: Uint8Array
  /** SHA-256 of the bytes before the signature: the network id. */
  id: Uint8Array
  bytes: Uint8Array
}

function encodeFields(g: GenesisFields): Uint8Array {
  const name = utf8.encode(g.name)
  if (name.length < 1 || name.length > MAX_NAME_BYTES) throw new BorgError('invalid-input', `a network name has 1 to ${MAX_NAME_BYTES} bytes`)
  if (!Number.isSafeInteger(g.created) || g.created < 0) throw new BorgError('invalid-input', 'created must be ms since the epoch')
  if (!Number.isInteger(g.addressVersion) || g.addressVersion < 0 || g.addressVersion > 255) throw new BorgError('invalid-input', 'address version is one byte')
  if (!isValidKeyId(g.treasury)) throw new BorgError('invalid-input', 'the treasury is not a valid key id')
  if (g.representatives.length < 1 || g.representatives.length > MAX_REPRESENTATIVES) throw new BorgError('invalid-input', `a genesis names 1 to ${MAX_REPRESENTATIVES} representatives`)
  const seen = new Set<string>()
  for (const r of g.representatives) {
    if (!isValidKeyId(r)) throw new BorgError('invalid-input', `representative ${bytesToHex(r).slice(0, 16)}… is not a valid key id`)
    if (seen.has(bytesToHex(r))) throw new BorgError('invalid-input', `representative ${bytesToHex(r).slice(0, 16)}… is named twice`)
    seen.add(bytesToHex(r))
  }
  const created = new Uint8Array(8)
  new DataView(created.buffer).setBigUint64(0, BigInt(g.created))
  return concatBytes(GENESIS_MAGIC, Uint8Array.of(GENESIS_VERSION), created, Uint8Array.of(g.addressVersion, name.length), name, g.treasury, Uint8Array.of(g.representatives.length), ...g.representatives)
}

/** Create and sign a genesis (the signer is the treasury) and the genesis block that opens the treasury. */
export function createGenesis(fields: Omit<GenesisFields, 'treasury'>, treasury: { keyId: Uint8Array; sign(message: Uint8Array): Uint8Array }): { genesis: Genesis; block: SignedBlock } {
  const full = { ...fields, treasury: treasury.keyId }
  const unsigned = encodeFields(full)
  const signature = treasury.sign(unsigned)
  const genesis: Genesis = { ...full, signature, id: sha256(unsigned), bytes: concatBytes(unsigned, signature) }
  const block = signBlock(
    {
      network: genesis.id,
      account: treasury.keyId,
      height: 0n,
      previous: new Uint8Array(32),
      balance: TOTAL_SUPPLY,
      representative: fields.representatives[0]!,
      timestamp: fields.created,
      op: 'open',
      source: new Uint8Array(32),
      amount: TOTAL_SUPPLY,
    },
    treasury,
  )
  return { genesis, block }
}

/** Decode strictly and check the treasury's signature. */
export function decodeGenesis(bytes: Uint8Array): Genesis {
  const r = new ByteReader(bytes, 'genesis')
  const keyId = (what: string) => {
    const id = r.keyId(what)
    if (!isValidKeyId(id)) throw r.fail(`${what} is not a valid key`)
    return id
  }
  if (!equalBytes(r.take(4, 'magic'), GENESIS_MAGIC)) throw r.fail('not a genesis document (bad magic)')
  const version = r.u8('version')
  if (version !== GENESIS_VERSION) throw new BorgError('unsupported-version', `genesis version ${version}`)
  const created = r.u64('created')
  if (created > BigInt(Number.MAX_SAFE_INTEGER)) throw r.fail('created beyond 2^53-1')
  const addressVersion = r.u8('address version')
  const nameLength = r.u8('name length')
  if (nameLength < 1 || nameLength > MAX_NAME_BYTES) throw r.fail(`a name of ${nameLength} bytes`)
  let name: string
  try {
    name = new TextDecoder('utf-8', { fatal: true }).decode(r.take(nameLength, 'name'))
  } catch (error) {
    if (error instanceof BorgError) throw error
    throw r.fail('the name is not valid UTF-8')
  }
  const treasury = keyId('treasury')
  const count = r.u8('representative count')
  if (count < 1 || count > MAX_REPRESENTATIVES) throw r.fail(`${count} representatives`)
  const representatives = Array.from({ length: count }, (_, i) => keyId(`representative ${i + 1}`))
  if (new Set(representatives.map(bytesToHex)).size !== count) throw r.fail('a representative is named twice')
  const signedLength = r.at
  const signature = r.take(64, 'signature')
  r.end('the signature')
  const unsigned = bytes.subarray(0, signedLength)
  if (!verifyByKeyId(treasury, signature, unsigned)) throw new BorgError('bad-signature', 'the genesis is not signed by its treasury')
  return { name, created: Number(created), addressVersion, treasury, representatives, signature, id: sha256(unsigned), bytes: Uint8Array.from(bytes) }
}

/**
 * The committee of the first epoch: the bootstrap representatives, each with an equal share of
 * the supply's weight (the treasury holds it all and the network starts as their federation).
 */
export function genesisCommittee(genesis: Genesis): Committee {
  const n = BigInt(genesis.representatives.length)
  const share = TOTAL_SUPPLY / n
  const weights = new Map<string, bigint>()
  genesis.representatives.forEach((r, i) => weights.set(bytesToHex(r), share + (i === 0 ? TOTAL_SUPPLY - share * n : 0n)))
  return { epoch: 0n, weights }
}
