/**
 * Epochs (docs/ledger.md "Epochs", docs/protocol.md §11.4). The committee of
 * epoch e+1 is a statement signed by representatives holding more than 2/3
 * of epoch e's weight: an epoch certificate. A representative signs at most
 * one statement per epoch number, so at most one committee is ever certified
 * for an epoch, and every node that follows the chain of epoch certificates
 * from the genesis committee holds the same committee for every epoch.
 *
 * Statement ("BSHE", version 1):
 *   magic · version · network (32) · epoch (u64) · member count (u16) ·
 *   per member, in ascending byte order of key ids: key id · weight (u64, > 0)
 * Certificate: statement · vote count (u16) · per vote: key id · signature (64)
 * A vote is the representative's signature over the statement's bytes.
 */
import { BorgError } from '../errors.js'
import { bytesToHex, concatBytes, equalBytes, hexToBytes } from '../bytes.js'
import { isValidKeyId, verifyByKeyId } from '../crypto/key-id.js'
import { ByteReader } from './byte-reader.js'
import { TOTAL_SUPPLY } from './amount.js'
import { checkQuorum, totalWeight, type Committee } from './certificate.js'

export const EPOCH_MAGIC = Uint8Array.of(0x42, 0x53, 0x48, 0x45) // "BSHE"
export const EPOCH_VERSION = 1
/** Most members a committee can have (each holds at least 0.1 % of the weight). */
export const MAX_MEMBERS = 1000

/** A representative's signature over an epoch statement's bytes. */
export interface EpochVote {
  representative: Uint8Array
  signature: Uint8Array
}

export interface EpochCertificate {
  network: Uint8Array
  committee: Committee
  /** The statement's bytes (what each vote signs). */
  statement: Uint8Array
  votes: EpochVote[]
}

export function encodeEpochStatement(network: Uint8Array, committee: Committee): Uint8Array {
  if (network.length !== 32) throw new BorgError('malformed', 'epoch: network is 32 bytes')
  const members = [...committee.weights].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  if (members.length < 1 || members.length > MAX_MEMBERS) throw new BorgError('invalid-input', `a committee has 1 to ${MAX_MEMBERS} members`)
  const head = new Uint8Array(4 + 1 + 32 + 8 + 2)
  const view = new DataView(head.buffer)
  head.set(EPOCH_MAGIC, 0)
  head[4] = EPOCH_VERSION
  head.set(network, 5)
  view.setBigUint64(37, committee.epoch)
  view.setUint16(45, members.length)
  const parts: Uint8Array[] = [head]
  for (const [id, weight] of members) {
    if (weight <= 0n || weight > TOTAL_SUPPLY) throw new BorgError('invalid-input', 'a member weighs 1 base unit to the whole supply')
    const w = new Uint8Array(8)
    new DataView(w.buffer).setBigUint64(0, weight)
    parts.push(hexToBytes(id), w)
  }
  return concatBytes(...parts)
}

function readStatement(r: ByteReader): { network: Uint8Array; committee: Committee } {
  if (!equalBytes(r.take(4, 'magic'), EPOCH_MAGIC)) throw r.fail('bad magic')
  if (r.u8('version') !== EPOCH_VERSION) throw new BorgError('unsupported-version', 'epoch statement version')
  const network = r.take(32, 'network')
  const epoch = r.u64('epoch')
  const count = r.u16('member count')
  if (count < 1 || count > MAX_MEMBERS) throw r.fail(`${count} members (1 to ${MAX_MEMBERS})`)
  const weights = new Map<string, bigint>()
  let last = ''
  let total = 0n
  for (let i = 0; i < count; i++) {
    const id = bytesToHex(r.keyId('member'))
    const weight = r.u64('weight')
    if (id <= last) throw r.fail('members are not in ascending order (or one is named twice)')
    if (weight <= 0n) throw r.fail('a member with no weight')
    total += weight
    last = id
    weights.set(id, weight)
  }
  if (total > TOTAL_SUPPLY) throw r.fail('the weights add up to more than the supply')
  return { network, committee: { epoch, weights } }
}

export function decodeEpochStatement(bytes: Uint8Array): { network: Uint8Array; committee: Committee } {
  const r = new ByteReader(bytes, 'epoch statement')
  const out = readStatement(r)
  r.end('the members')
  return out
}

export function encodeEpochCertificate(c: EpochCertificate): Uint8Array {
  return concatBytes(c.statement, Uint8Array.of(c.votes.length >> 8, c.votes.length & 0xff), ...c.votes.flatMap((v) => [v.representative, v.signature]))
}

export function decodeEpochCertificate(bytes: Uint8Array): EpochCertificate {
  const r = new ByteReader(bytes, 'epoch certificate')
  const { network, committee } = readStatement(r)
  const statement = bytes.slice(0, r.at)
  const count = r.u16('vote count')
  const votes: EpochVote[] = []
  for (let i = 0; i < count; i++) votes.push({ representative: r.keyId('representative'), signature: r.take(64, 'signature') })
  r.end('the votes')
  return { network, committee, statement, votes }
}

export function signEpoch(statement: Uint8Array, signer: { keyId: Uint8Array; sign(message: Uint8Array): Uint8Array }): EpochVote {
  return { representative: signer.keyId, signature: signer.sign(statement) }
}

/** Check an epoch certificate against the committee before it (the epoch it names minus one). Throws `refused` or `bad-signature`. */
export function checkEpochCertificate(c: EpochCertificate, previous: Committee, network: Uint8Array): void {
  if (!equalBytes(c.network, network)) throw new BorgError('refused', 'epoch certificate of another network')
  if (c.committee.epoch !== previous.epoch + 1n) throw new BorgError('refused', `epoch certificate for epoch ${c.committee.epoch}, checked against the committee of epoch ${previous.epoch}`)
  checkQuorum(c.votes, previous, (vote) => isValidKeyId(vote.representative) && verifyByKeyId(vote.representative, vote.signature, c.statement), 'epoch certificate')
}

/** Whether two committees have the same members with the same weights. */
export function sameCommittee(a: Committee, b: Committee): boolean {
  if (a.weights.size !== b.weights.size) return false
  for (const [id, w] of a.weights) if (b.weights.get(id) !== w) return false
  return true
}

/** The representative that proposes the next committee: the heaviest member of the current one (ties: the smallest key id). */
export function epochProposer(committee: Committee): string {
  let best: [string, bigint] | undefined
  for (const [id, w] of committee.weights) if (!best || w > best[1] || (w === best[1] && id < best[0])) best = [id, w]
  return best![0]
}

/** Representatives sign a proposed committee whose weights are within 1/100 of the total (summed over members) of their own computation. */
export const EPOCH_TOLERANCE_DENOMINATOR = 100n

/** Whether `proposed` is close enough to `own` to sign (their views differ only by blocks in flight). */
export function closeEnough(own: Committee, proposed: Committee): boolean {
  let distance = 0n
  for (const id of new Set([...own.weights.keys(), ...proposed.weights.keys()])) {
    const a = own.weights.get(id) ?? 0n
    const b = proposed.weights.get(id) ?? 0n
    distance += a > b ? a - b : b - a
  }
  return distance * EPOCH_TOLERANCE_DENOMINATOR <= totalWeight(own)
}
