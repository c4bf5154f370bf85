/**
 * Votes and certificates (docs/ledger.md, docs/protocol.md §11.1). A
 * representative's vote is a canonical statement, "in epoch E of network N,
 * the block at (account, height) is the one with this id", signed in a batch:
 * the representative signs the root of a Merkle tree over the statements of
 * one reply (one signature for up to MAX_BATCH votes), and each vote carries
 * the path from its statement to that root. A certificate is a block id with
 * votes from representatives holding more than 2/3 of the epoch's committee
 * weight. Since an honest representative votes for at most one block per
 * (account, height), two certificates for one (account, height) need more
 * than 1/3 of the weight to vote twice.
 *
 * Tree: leaf = SHA-256(0x00 · statement); parent = SHA-256(0x01 · left · right);
 * a level's last node without a sibling moves up unchanged. The signed
 * message is "BSHB" · version · batch size (u16) · root.
 */
import { BorgError } from '../errors.js'
import { bytesToHex, concatBytes, equalBytes } from '../bytes.js'
import { sha256 } from '../crypto/hash.js'
import { isValidKeyId, verifyByKeyId } from '../crypto/key-id.js'
import { ByteReader } from './byte-reader.js'

export const VOTE_MAGIC = Uint8Array.of(0x42, 0x53, 0x48, 0x56) // "BSHV"
export const BATCH_MAGIC = Uint8Array.of(0x42, 0x53, 0x48, 0x42) // "BSHB"
export const VOTE_VERSION = 2
/** Most statements one signature covers (the most blocks one `ledger.vote` carries). */
export const MAX_BATCH = 256

/** What a representative signs (in a batch): the block it takes to be the one at (account, height). */
export interface VoteStatement {
  network: Uint8Array
  epoch: bigint
  account: Uint8Array
  height: bigint
  block: Uint8Array
}

/** One representative's vote: its signature over a batch root, and where this statement sits in the batch. */
export interface Vote {
  representative: Uint8Array
  /** Statements in the signed batch (1 to MAX_BATCH) and this one's position among them. */
  size: number
  index: number
  /** Sibling hashes from this statement's leaf up to the root (levels where it has no sibling are skipped). */
  path: Uint8Array[]
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

const LEAF = Uint8Array.of(0)
const NODE = Uint8Array.of(1)

function leafOf(statement: VoteStatement): Uint8Array {
  return sha256(LEAF, encodeStatement(statement))
}

function parent(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(NODE, left, right)
}

/** The message a representative signs for a batch: "BSHB" · version · size (u16) · root. */
export function batchMessage(size: number, root: Uint8Array): Uint8Array {
  return concatBytes(BATCH_MAGIC, Uint8Array.of(VOTE_VERSION, size >> 8, size & 0xff), root)
}

/** How many sibling hashes the path of position `index` in a batch of `size` has. */
export function pathLength(size: number, index: number): number {
  let n = 0
  for (let width = size, at = index; width > 1; width = Math.ceil(width / 2), at >>= 1) if (at % 2 === 1 || at + 1 < width) n++
  return n
}

/** The root a statement's path leads to (the path's length must fit size and index). */
export function batchRoot(statement: VoteStatement, vote: Pick<Vote, 'size' | 'index' | 'path'>): Uint8Array {
  if (vote.size < 1 || vote.size > MAX_BATCH || vote.index < 0 || vote.index >= vote.size) throw new BorgError('malformed', `vote: position ${vote.index} in a batch of ${vote.size}`)
  if (vote.path.length !== pathLength(vote.size, vote.index)) throw new BorgError('malformed', `vote: a path of ${vote.path.length} hashes for position ${vote.index} in a batch of ${vote.size}`)
  let hash = leafOf(statement)
  let step = 0
  for (let width = vote.size, at = vote.index; width > 1; width = Math.ceil(width / 2), at >>= 1) {
    if (at % 2 === 1) hash = parent(vote.path[step++]!, hash)
    else if (at + 1 < width) hash = parent(hash, vote.path[step++]!)
  }
  return hash
}

/** Sign statements as one batch: one signature, a vote per statement in order. */
export function signVotes(statements: readonly VoteStatement[], signer: { keyId: Uint8Array; sign(message: Uint8Array): Uint8Array }): Vote[] {
  const size = statements.length
  if (size < 1 || size > MAX_BATCH) throw new BorgError('invalid-input', `a batch holds 1 to ${MAX_BATCH} votes, not ${size}`)
  const { root, paths } = merkle(statements.map(leafOf))
  const signature = signer.sign(batchMessage(size, root))
  remember(signer.keyId, size, root, signature)
  return paths.map((path, index) => ({ representative: signer.keyId, size, index, path, signature }))
}

export function signVote(statement: VoteStatement, signer: { keyId: Uint8Array; sign(message: Uint8Array): Uint8Array }): Vote {
  return signVotes([statement], signer)[0]!
}

/** Votes for `statements` (in order) from a batch signature a representative returned, or undefined when it does not verify. */
export function votesFromBatch(statements: readonly VoteStatement[], representative: Uint8Array, signature: Uint8Array): Vote[] | undefined {
  const size = statements.length
  if (size < 1 || size > MAX_BATCH) return undefined
  const { root, paths } = merkle(statements.map(leafOf))
  if (!verifyRoot(representative, size, root, signature)) return undefined
  return paths.map((path, index) => ({ representative, size, index, path, signature }))
}

/** The root and every leaf's path (levels bottom up; a last node without a sibling moves up). */
function merkle(leaves: Uint8Array[]): { root: Uint8Array; paths: Uint8Array[][] } {
  const paths: Uint8Array[][] = leaves.map(() => [])
  // members[i]: the leaf positions below node i of the current level
  let members = leaves.map((_, i) => [i])
  let level = leaves
  while (level.length > 1) {
    const next: Uint8Array[] = []
    const nextMembers: number[][] = []
    for (let i = 0; i < level.length; i += 2) {
      if (i + 1 === level.length) {
        next.push(level[i]!)
        nextMembers.push(members[i]!)
        continue
      }
      for (const m of members[i]!) paths[m]!.push(level[i + 1]!)
      for (const m of members[i + 1]!) paths[m]!.push(level[i]!)
      next.push(parent(level[i]!, level[i + 1]!))
      nextMembers.push([...members[i]!, ...members[i + 1]!])
    }
    level = next
    members = nextMembers
  }
  return { root: level[0]!, paths }
}

// Every vote of a batch carries the batch's signature: a verdict is remembered per
// (representative, root, signature), so a certificate costs hashes once its batches were seen.
const VERIFIED_LIMIT = 16_384
const verified = new Set<string>()

/** The cache key: everything the verdict depends on (the size is part of the signed message). */
function verdictKey(representative: Uint8Array, size: number, root: Uint8Array, signature: Uint8Array): string {
  return `${bytesToHex(representative)}:${size}:${bytesToHex(root)}:${bytesToHex(signature)}`
}

function remember(representative: Uint8Array, size: number, root: Uint8Array, signature: Uint8Array): void {
  if (verified.size >= VERIFIED_LIMIT) verified.delete(verified.values().next().value!)
  verified.add(verdictKey(representative, size, root, signature))
}

function verifyRoot(representative: Uint8Array, size: number, root: Uint8Array, signature: Uint8Array): boolean {
  if (verified.has(verdictKey(representative, size, root, signature))) return true
  if (!isValidKeyId(representative) || !verifyByKeyId(representative, signature, batchMessage(size, root))) return false
  remember(representative, size, root, signature)
  return true
}

export function verifyVote(statement: VoteStatement, vote: Vote): boolean {
  let root: Uint8Array
  try {
    root = batchRoot(statement, vote)
  } catch {
    return false
  }
  return verifyRoot(vote.representative, vote.size, root, vote.signature)
}

/**
 * Check a certificate against the committee of its epoch: votes from distinct committee members,
 * each valid, together more than 2/3 of the weight (votes after the quorum are not looked at).
 * Batches already verified cost only hashes; `known`: votes the caller knows to be good without
 * checking them (a representative's own vote, byte for byte). Throws `bad-signature` or `refused`.
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
export function checkQuorum<V extends { representative: Uint8Array }>(votes: readonly V[], committee: Committee, verify: (vote: V) => boolean, what: string): void {
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

/**
 * Encoded certificate: the statement, a vote count (u16), then per vote: representative key id ·
 * batch size (u16) · position (u16) · path (32 each; its length follows from size and position) ·
 * signature (64).
 */
export function encodeCertificate(c: Certificate): Uint8Array {
  const count = Uint8Array.of(c.votes.length >> 8, c.votes.length & 0xff)
  return concatBytes(
    encodeStatement(c),
    count,
    ...c.votes.flatMap((v) => {
      if (v.path.length !== pathLength(v.size, v.index)) throw new BorgError('invalid-input', 'vote: the path does not fit its position')
      return [v.representative, Uint8Array.of(v.size >> 8, v.size & 0xff, v.index >> 8, v.index & 0xff), ...v.path, v.signature]
    }),
  )
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
  for (let i = 0; i < count; i++) {
    const representative = r.keyId('representative')
    const size = r.u16('batch size')
    const index = r.u16('position')
    if (size < 1 || size > MAX_BATCH || index >= size) throw r.fail(`position ${index} in a batch of ${size} (batches hold 1 to ${MAX_BATCH})`)
    const path = Array.from({ length: pathLength(size, index) }, () => r.take(32, 'path'))
    votes.push({ representative, size, index, path, signature: r.take(64, 'signature') })
  }
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
