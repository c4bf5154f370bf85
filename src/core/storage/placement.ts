/**
 * Where a chunk lives: rendezvous (highest-random-weight) hashing. Every
 * candidate holder gets the score SHA-256(chunk hash ‖ node id) and the chunk
 * belongs to the N highest scores. Anyone who knows the same candidates gets
 * the same answer, so a holder's claim to be chosen is checkable and no node
 * can put itself forward; when a node joins or leaves, only the chunks it
 * scores among the top N move (about N/size of them).
 */
import { BorgError } from '../errors.js'
import { sha256 } from '../crypto/hash.js'
import { bytesToHex, hexToBytes, utf8 } from '../bytes.js'
import { isSha256Hex } from './names.js'

/** Score of `nodeId` (hex key id) for `chunk` (hex SHA-256): 32 bytes compared as a big-endian number. */
export function placementScore(chunk: string, nodeId: string): Uint8Array {
  if (!isSha256Hex(chunk)) throw new BorgError('invalid-input', `not a chunk hash: ${JSON.stringify(String(chunk).slice(0, 80))}`)
  return sha256(hexToBytes(chunk), hexToBytes(nodeId))
}

function compareScores(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return 0
}

/**
 * Where an owner's file list lives: the holders of this key (a hash of the
 * owner's key id, so owners spread like chunks do).
 */
export function ownerIndexKey(owner: string): string {
  return bytesToHex(sha256(utf8.encode(`borg/owner-index/${owner}`)))
}

/** All candidates, best first (ties, impossible in practice, by id). Duplicates count once. */
export function rankHolders(chunk: string, candidates: Iterable<string>): string[] {
  const unique = [...new Set(candidates)]
  const scored = unique.map((id) => ({ id, score: placementScore(chunk, id) }))
  scored.sort((a, b) => compareScores(b.score, a.score) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  return scored.map((s) => s.id)
}

/**
 * Whether `candidate` is among the best `n` of `candidates` for `chunk`, as
 * rankHolders would say, without ranking them all: it stops at the n-th
 * candidate that scores better, which for most chunks comes after a few.
 * `candidates` must not repeat an id (a member list does not).
 */
export function ranksAmong(chunk: string, candidate: string, candidates: Iterable<string>, n: number): boolean {
  if (n <= 0) return false
  const mine = placementScore(chunk, candidate)
  let better = 0
  for (const id of candidates) {
    if (id === candidate) continue
    const order = compareScores(placementScore(chunk, id), mine)
    if ((order > 0 || (order === 0 && id < candidate)) && ++better >= n) return false
  }
  return true
}

/** The `n` holders of `chunk` among `candidates` (fewer when there are fewer candidates). */
export function chooseHolders(chunk: string, candidates: Iterable<string>, n: number): string[] {
  return rankHolders(chunk, candidates).slice(0, Math.max(0, n))
}

/**
 * Whether `nodeId` may hold `chunk`: among the best `n + slack` of the
 * candidates it knows plus itself. The slack absorbs views that differ by a
 * few recent joins or deaths; a node far down the ranking is refused.
 */
export function mayHold(chunk: string, nodeId: string, candidates: Iterable<string>, n: number, slack = 2): boolean {
  const all = new Set(candidates)
  all.add(nodeId)
  return rankHolders(chunk, all).indexOf(nodeId) < n + slack
}

/** Copies of a manifest by file id, and as many again by owner (for `ls`). */
export const MANIFEST_COPIES = 3

/**
 * The file managers that keep a file's manifest: the best `MANIFEST_COPIES`
 * by file id and the best `MANIFEST_COPIES` by the owner's index key (so one
 * ask finds all of an owner's files). Between 3 and 6 members.
 */
export function manifestHolders(id: string, owner: string, candidates: Iterable<string>): string[] {
  const all = [...candidates]
  return [...new Set([...rankHolders(id, all).slice(0, MANIFEST_COPIES), ...rankHolders(ownerIndexKey(owner), all).slice(0, MANIFEST_COPIES)])]
}
