/**
 * Votes and certificates (docs/ledger.md). A representative's vote is its
 * signature over a canonical statement: "in epoch E of network N, the block
 * at (account, height) is the one with this id". A certificate is a block id
 * with votes from representatives holding more than 2/3 of the epoch's
 * committee weight. Since an honest representative votes for at most one
 * block per (account, height), two certificates for one (account, height)
 * need more than 1/3 of the weight to vote twice.
 */
import { BorgError } from '../errors.js'
import { bytesToHex, concatBytes, equalBytes } from '../bytes.js'
import { isValidKeyId, verifyByKeyId } from '../crypto/key-id.js'
import { ByteReader } from './byte-reader.js'

export const VOTE_MAGIC = Uint8Array.of(0x42, 0x53, 0x48, 0x56) // "BSHV"
export const VOTE_VERSION = 1

/** What a representative signs: the block it takes to be the one at (account, height). */
export interface VoteStatement {
  network: Uint8Array
  epoch: bigint
  account: Uint8Array
  height: bigint
  block: Uint8Array
}

export interface Vote {
  representative: Uint8Array
  signature: Uint8Array
}

export interface Certificate extends VoteStatement {
  votes: Vote[]
}

/** The committee of one epoch: representatives and their delegated weight (base units). */
export interface Committee {
  epoch: bigint
  weights: ReadonlyMap<string, bigint>
}

export function totalWeight(committee: Committee): bigint {
  let total = 0n
  for (const w of committee.weights.values()) total += w
  return total
}

/** More than 2/3 of the committee's weight (integer arithmetic: 3·w > 2·total). */
export function isQuorum(weight: bigint, committee: Committee): boolean {
  return 3n * weight > 2n * totalWeight(committee)
}

export function encodeStatement(s: VoteStatement): Uint8Array {
  if (s.network.length !== 32 || s.block.length !== 32) throw new BorgError('malformed', 'vote: network and block are 32 bytes')
  const epoch = new Uint8Array(8)
  new DataView(epoch.buffer).setBigUint64(0, s.epoch)
  const height = new Uint8Array(8)
  new DataView(height.buffer).setBigUint64(0, s.height)
  return concatBytes(VOTE_MAGIC, Uint8Array.of(VOTE_VERSION), s.network, epoch, s.account, height, s.block)
}

export function signVote(statement: VoteStatement, signer: { keyId: Uint8Array; sign(message: Uint8Array): Uint8Array }): Vote {
  return { representative: signer.keyId, signature: signer.sign(encodeStatement(statement)) }
}

export function verifyVote(statement: VoteStatement, vote: Vote): boolean {
  return isValidKeyId(vote.representative) && verifyByKeyId(vote.representative, vote.signature, encodeStatement(statement))
}

/**
 * Check a certificate against the committee of its epoch: votes from distinct committee members,
 * each valid, together more than 2/3 of the weight (votes after the quorum are not looked at).
 * `known`: votes the caller knows to be good without verifying them (a representative's own vote,
 * byte for byte). Throws `bad-signature` or `refused`.
 */
export function checkCertificate(certificate: Certificate, committee: Committee, network: Uint8Array, known?: (vote: Vote) => boolean): void {
  if (!equalBytes(certificate.network, network)) throw new BorgError('refused', 'certificate of another network')
  if (certificate.epoch !== committee.epoch) throw new BorgError('refused', `certificate of epoch ${certificate.epoch}, checked against epoch ${committee.epoch}`)
  checkQuorum(certificate.votes, committee, (vote) => known?.(vote) || verifyVote(certificate, vote), 'certificate')
}

/**
 * The quorum rule shared by block and epoch certificates: votes read in order, those of
 * non-members and repeated members ignored, each counted one verified (`verify`; a failure is
 * `bad-signature`), reading stopped once the votes counted weigh more than 2/3 of `committee`
 * (verification is the cost of a certificate). Throws `refused` without a quorum.
 */
export function checkQuorum(votes: readonly Vote[], committee: Committee, verify: (vote: Vote) => boolean, what: string): void {
  const counted = new Set<string>()
  let weight = 0n
  for (const vote of votes) {
    if (isQuorum(weight, committee)) break
    const who = bytesToHex(vote.representative)
    const w = committee.weights.get(who)
    if (w === undefined || counted.has(who)) continue // not in the committee, or counted already
    if (!verify(vote)) throw new BorgError('bad-signature', `${what} carries a bad vote from ${who.slice(0, 16)}…`)
    counted.add(who)
    weight += w
  }
  if (!isQuorum(weight, committee)) {
    throw new BorgError('refused', `${what} holds ${weight} of ${totalWeight(committee)} weight of epoch ${committee.epoch}; more than 2/3 is needed`)
  }
}

/** Encoded certificate: the statement, a vote count (u16), then each representative key id and signature (64). */
export function encodeCertificate(c: Certificate): Uint8Array {
  const count = Uint8Array.of(c.votes.length >> 8, c.votes.length & 0xff)
  return concatBytes(encodeStatement(c), count, ...c.votes.flatMap((v) => [v.representative, v.signature]))
}

export function decodeCertificate(bytes: Uint8Array): Certificate {
  const r = new ByteReader(bytes, 'certificate')
  if (!equalBytes(r.take(4, 'magic'), VOTE_MAGIC)) throw r.fail('bad magic')
  if (r.u8('version') !== VOTE_VERSION) throw new BorgError('unsupported-version', 'certificate version')
  const network = r.take(32, 'network')
  const epoch = r.u64('epoch')
  const account = r.keyId('account')
  const height = r.u64('height')
  const block = r.take(32, 'block')
  const count = r.u16('vote count')
  const votes: Vote[] = []
  for (let i = 0; i < count; i++) votes.push({ representative: r.keyId('representative'), signature: r.take(64, 'signature') })
  r.end('the votes')
  return { network, epoch, account, height, block, votes }
}

/**
 * Two votes by one representative for different blocks at one (account, height): proof that it
 * broke its promise (docs/ledger.md), checkable by anyone with the two statements and signatures.
 * Returns the representative's key id hex, or throws why the pair proves nothing.
 */
export function checkEquivocation(a: { statement: VoteStatement; vote: Vote }, b: { statement: VoteStatement; vote: Vote }): string {
  if (!equalBytes(a.vote.representative, b.vote.representative)) throw new BorgError('invalid-input', 'the votes are by different representatives')
  const same = equalBytes(a.statement.network, b.statement.network) && equalBytes(a.statement.account, b.statement.account) && a.statement.height === b.statement.height
  if (!same) throw new BorgError('invalid-input', 'the votes are for different places (network, account or height)')
  if (equalBytes(a.statement.block, b.statement.block)) throw new BorgError('invalid-input', 'the votes are for the same block')
  if (!verifyVote(a.statement, a.vote) || !verifyVote(b.statement, b.vote)) throw new BorgError('bad-signature', 'a vote of the pair is not signed by that representative')
  return bytesToHex(a.vote.representative)
}
