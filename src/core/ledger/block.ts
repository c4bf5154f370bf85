/**
 * A ledger block (docs/protocol.md §11, docs/ledger.md): one link of one
 * account's chain, signed by the account's key. The encoding is canonical and
 * strict: fixed field order, fixed widths, big-endian integers, an exact
 * payload per operation, nothing after the signature; a decoder refuses any
 * other byte string, so a block has exactly one encoding and one id, the
 * SHA-256 of everything before the signature.
 *
 * Layout:
 *   magic "BSHL" · version 2 · operation · network (32: the genesis hash) ·
 *   account (key id) · height (u64) · previous (32) · balance (u64) ·
 *   representative (key id) · timestamp (u64 ms) · payload length (u16) ·
 *   payload · signer (u8) · signature (64)
 *
 * Signer: 00 the account's key signs; 01 a spending key signs, followed by its
 * Ed25519 key id (33) and the account identity's authorization (64,
 * src/core/ledger/spending-key.ts).
 *
 * Operations and payloads:
 *   open     (height 0)  source send id (32) · amount received (u64); the genesis block opens the
 *                        treasury with source = 32 zero bytes and the whole supply
 *   send                 destination (21: address version byte + HASH160) · amount (u64) ·
 *                        memo length (u8) · memo (UTF-8, ≤ 120 bytes)
 *   receive              source send id (32) · amount received (u64)
 *   delegate             empty (the representative field names the new one)
 *   lock, claim, refund  reserved for the exchange's hash-locked transfers: refused until specified
 */
import { BorgError } from '../errors.js'
import { bytesToHex, equalBytes, utf8 } from '../bytes.js'
import { sha256 } from '../crypto/hash.js'
import { isValidKeyId, verifyByKeyId } from '../crypto/key-id.js'
import { isAuthorized, type Spending } from './spending-key.js'
import { ByteReader } from './byte-reader.js'
import { checkAmount } from './amount.js'

export const BLOCK_MAGIC = Uint8Array.of(0x42, 0x53, 0x48, 0x4c) // "BSHL"
export const BLOCK_VERSION = 2
export const HASH_BYTES = 32
export const SIGNATURE_BYTES = 64
export const DESTINATION_BYTES = 21
export const MAX_MEMO_BYTES = 120

export const Operation = { open: 1, send: 2, receive: 3, delegate: 4, lock: 5, claim: 6, refund: 7 } as const
export type OperationName = keyof typeof Operation
const OPERATION_NAMES = Object.fromEntries(Object.entries(Operation).map(([name, code]) => [code, name])) as Record<number, OperationName>
/** Operations whose payload is not specified yet (the exchange's hash locks). */
const RESERVED: ReadonlySet<OperationName> = new Set(['lock', 'claim', 'refund'])

export type BlockPayload =
  | { op: 'open' | 'receive'; source: Uint8Array; amount: bigint }
  | { op: 'send'; destination: Uint8Array; amount: bigint; memo: string }
  | { op: 'delegate' }

/** Everything a block says, before it is signed. */
export type UnsignedBlock = {
  network: Uint8Array
  account: Uint8Array
  height: bigint
  previous: Uint8Array
  balance: bigint
  representative: Uint8Array
  timestamp: number
  /** Absent: the account's own key signs. Present: this spending key signs, authorized by the account. */
  spending?: Spending
} & BlockPayload

export type Block = UnsignedBlock & { signature: Uint8Array }

export interface SignedBlock {
  block: Block
  /** The block's id: SHA-256 of its bytes before the signature. */
  id: Uint8Array
  bytes: Uint8Array
}

const ZERO_HASH = new Uint8Array(HASH_BYTES)
const SIGNER_ACCOUNT = 0
const SIGNER_SPENDING_KEY = 1

/** The bytes a block's owner signs (and whose SHA-256 is the block's id). */
export function encodeUnsigned(block: UnsignedBlock): Uint8Array {
  checkShape(block)
  const payload = encodePayload(block)
  const parts: Uint8Array[] = [
    BLOCK_MAGIC,
    Uint8Array.of(BLOCK_VERSION, Operation[block.op]),
    block.network,
    block.account,
    u64(block.height),
    block.previous,
    u64(block.balance),
    block.representative,
    u64(BigInt(block.timestamp)),
    u16(payload.length),
    payload,
    ...(block.spending ? [Uint8Array.of(SIGNER_SPENDING_KEY), block.spending.key, block.spending.authorization] : [Uint8Array.of(SIGNER_ACCOUNT)]),
  ]
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** Sign a block with its account's key, or with the spending key it names. */
export function signBlock(block: UnsignedBlock, signer: { keyId: Uint8Array; sign(message: Uint8Array): Uint8Array }): SignedBlock {
  const expected = block.spending ? block.spending.key : block.account
  if (!equalBytes(signer.keyId, expected)) throw new BorgError('invalid-input', block.spending ? 'a block naming a spending key is signed by that key' : 'a block is signed by its own account’s key')
  const unsigned = encodeUnsigned(block)
  const signature = signer.sign(unsigned)
  const bytes = new Uint8Array(unsigned.length + SIGNATURE_BYTES)
  bytes.set(unsigned)
  bytes.set(signature, unsigned.length)
  return { block: { ...block, signature }, id: sha256(unsigned), bytes }
}

/**
 * Decode strictly and check the owner's signature; throws `malformed`, `bad-signature` or
 * `unsupported-version`. `checked`: says whether a block with this id had its signature checked by
 * this process already (a representative applying the block it voted for), which skips the check.
 */
export function decodeBlock(bytes: Uint8Array, checked?: (id: Uint8Array) => boolean): SignedBlock {
  const r = new ByteReader(bytes, 'ledger block')
  if (!equalBytes(r.take(4, 'magic'), BLOCK_MAGIC)) throw malformed('not a ledger block (bad magic)')
  const version = r.u8('version')
  if (version !== BLOCK_VERSION) throw new BorgError('unsupported-version', `ledger block version ${version} (this node reads ${BLOCK_VERSION})`)
  const code = r.u8('operation')
  const op = OPERATION_NAMES[code]
  if (!op) throw malformed(`unknown operation ${code}`)
  if (RESERVED.has(op)) throw malformed(`operation ${op} is reserved for hash-locked transfers and not specified yet`)
  const network = r.take(HASH_BYTES, 'network')
  const account = r.keyId('account')
  const height = r.u64('height')
  const previous = r.take(HASH_BYTES, 'previous')
  const balance = checkAmount(r.u64('balance'), 'balance')
  const representative = r.keyId('representative')
  const timestamp = r.u64('timestamp')
  if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed('timestamp beyond 2^53-1')
  const payloadLength = r.u16('payload length')
  const payload = decodePayload(op, new ByteReader(r.take(payloadLength, 'payload'), 'ledger block'))
  const signerKind = r.u8('signer')
  let spending: Spending | undefined
  if (signerKind === SIGNER_SPENDING_KEY) spending = { key: r.keyId('spending key'), authorization: r.take(SIGNATURE_BYTES, 'authorization') }
  else if (signerKind !== SIGNER_ACCOUNT) throw malformed(`unknown signer ${signerKind}`)
  const signedLength = r.at
  const signature = r.take(SIGNATURE_BYTES, 'signature')
  if (r.at !== bytes.length) throw malformed(`${bytes.length - r.at} bytes after the signature`)
  const block = { network, account, height, previous, balance, representative, timestamp: Number(timestamp), ...payload, ...(spending ? { spending } : {}), signature } as Block
  checkShape(block)
  const unsigned = bytes.subarray(0, signedLength)
  const id = sha256(unsigned)
  if (!checked?.(id)) {
    if (spending && !isAuthorized(network, account, spending)) throw new BorgError('bad-signature', `block ${bytesToHex(id).slice(0, 16)}…: its spending key is not authorized by its account (an identity's Ed25519 key, signed for this network)`)
    if (!verifyByKeyId(spending ? spending.key : account, signature, unsigned)) throw new BorgError('bad-signature', `block ${bytesToHex(id).slice(0, 16)}… is not signed by its ${spending ? 'spending key' : 'account'}`)
  }
  return { block, id, bytes: Uint8Array.from(bytes) }
}

/** A block's id as hex (how it is shown and looked up). */
export function blockIdHex(id: Uint8Array): string {
  return bytesToHex(id)
}

/** The structural rules that need no ledger state. */
function checkShape(block: UnsignedBlock): void {
  if (block.network.length !== HASH_BYTES) throw malformed('network must be 32 bytes (the genesis hash)')
  if (block.previous.length !== HASH_BYTES) throw malformed('previous must be 32 bytes')
  if (!isValidKeyId(block.account)) throw malformed('account is not a valid key id')
  if (!isValidKeyId(block.representative)) throw malformed('representative is not a valid key id')
  if (block.spending && (block.spending.key.length !== 33 || block.spending.key[0] !== 0xed || block.spending.authorization.length !== SIGNATURE_BYTES)) {
    throw malformed('a spending key is an Ed25519 key id (33 bytes) with a 64-byte authorization')
  }
  if (block.height < 0n || block.height > 2n ** 64n - 1n) throw malformed('height outside u64')
  checkAmount(block.balance, 'balance')
  if (!Number.isSafeInteger(block.timestamp) || block.timestamp < 0) throw malformed('timestamp must be a non-negative integer of ms')
  const first = block.height === 0n
  if (first !== (block.op === 'open')) throw malformed('height 0 is an open block, and an open block is at height 0')
  if (first !== equalBytes(block.previous, ZERO_HASH)) throw malformed(first ? 'an open block has no previous block (32 zero bytes)' : 'a block above height 0 names its previous block')
  if (block.op === 'open' || block.op === 'receive') {
    if (block.source.length !== HASH_BYTES) throw malformed('source must be a 32-byte block id')
    checkAmount(block.amount, 'amount')
    if (block.op === 'receive' && equalBytes(block.source, ZERO_HASH)) throw malformed('a receive names the send it receives')
  }
  if (block.op === 'send') {
    if (block.destination.length !== DESTINATION_BYTES) throw malformed(`destination must be ${DESTINATION_BYTES} bytes (address version byte and HASH160)`)
    checkAmount(block.amount, 'amount')
    if (block.amount === 0n) throw malformed('a send moves at least one base unit')
    if (utf8.encode(block.memo).length > MAX_MEMO_BYTES) throw malformed(`memo longer than ${MAX_MEMO_BYTES} bytes`)
  }
}

function encodePayload(block: BlockPayload): Uint8Array {
  switch (block.op) {
    case 'open':
    case 'receive': {
      const out = new Uint8Array(HASH_BYTES + 8)
      out.set(block.source)
      out.set(u64(block.amount), HASH_BYTES)
      return out
    }
    case 'send': {
      const memo = utf8.encode(block.memo)
      const out = new Uint8Array(DESTINATION_BYTES + 8 + 1 + memo.length)
      out.set(block.destination)
      out.set(u64(block.amount), DESTINATION_BYTES)
      out[DESTINATION_BYTES + 8] = memo.length
      out.set(memo, DESTINATION_BYTES + 9)
      return out
    }
    case 'delegate':
      return new Uint8Array(0)
  }
}

function decodePayload(op: OperationName, r: ByteReader): BlockPayload {
  let payload: BlockPayload
  switch (op) {
    case 'open':
    case 'receive':
      payload = { op, source: r.take(HASH_BYTES, 'source'), amount: r.u64('amount') }
      break
    case 'send': {
      const destination = r.take(DESTINATION_BYTES, 'destination')
      const amount = r.u64('amount')
      const memoBytes = r.take(r.u8('memo length'), 'memo')
      let memo: string
      try {
        memo = new TextDecoder('utf-8', { fatal: true }).decode(memoBytes)
      } catch {
        throw malformed('memo is not valid UTF-8')
      }
      payload = { op, destination, amount, memo }
      break
    }
    case 'delegate':
      payload = { op }
      break
    default:
      throw malformed(`operation ${op} has no payload layout`)
  }
  if (r.at !== r.bytes.length) throw malformed(`payload of ${op} has ${r.bytes.length - r.at} extra bytes`)
  return payload
}

function u64(value: bigint): Uint8Array {
  if (value < 0n || value > 2n ** 64n - 1n) throw malformed(`${value} does not fit in 64 bits`)
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, value)
  return out
}

function u16(value: number): Uint8Array {
  return Uint8Array.of(value >> 8, value & 0xff)
}

function malformed(message: string): BorgError {
  return new BorgError('malformed', `ledger block: ${message}`)
}
