/**
 * The tree's message kinds and the shapes of their JSON bodies
 * (docs/protocol.md §6 lists every kind and field). codec.ts decodes them
 * strictly; body-pool.ts and fast-json.ts write them.
 */
import type { BodyType } from '../wire/message.js'
import type { RosterOp } from './roster.js'
import type { Epoch, Member, Placed, View } from './types.js'

export const KIND = {
  join: 'tree.join',
  joinReply: 'tree.join.reply',
  hb: 'tree.hb',
  hbReply: 'tree.hb.reply',
  probe: 'tree.probe',
  probeReply: 'tree.probe.reply',
  whereami: 'tree.whereami',
  whereamiReply: 'tree.whereami.reply',
  whois: 'tree.whois',
  whoisReply: 'tree.whois.reply',
  sync: 'tree.sync',
  syncReply: 'tree.sync.reply',
  leave: 'tree.leave',
  leaveReply: 'tree.leave.reply',
  assign: 'tree.assign',
  suspect: 'tree.suspect',
  promote: 'tree.promote',
  merge: 'tree.merge',
  shuffle: 'tree.shuffle',
  shuffleReply: 'tree.shuffle.reply',
  bcast: 'tree.bcast',
  route: 'tree.route',
  /** Internal broadcast kind: "this tree dissolves into another". */
  dissolve: 'tree.dissolve',
} as const

/** Facts about the whole tree that flow down with heartbeat replies. */
export interface TreeInfo {
  treeId: string
  epoch: Epoch
  size: number
  root: Member
  deputies: Placed[]
  last: Placed
}

export interface JoinRequest {
  member: Member
}
export interface JoinReply {
  /**
   * queued: wait for an assignment; later: the root's queue is full, ask it again in `wait` ms (a slot
   * booked for this joiner); redirect: ask `root`; try: the contact is joining too, ask these.
   */
  status: 'queued' | 'later' | 'redirect' | 'try'
  treeId?: string
  root?: Member
  size?: number
  endpoints?: string[]
  /**
   * queued: the root's estimate of the wait before admission, ms (its queue
   * length over its admission rate). A wire addition: the joiner asks again no
   * sooner than this (capped), instead of every joinRetryMs, so a long join
   * storm does not flood the root with repeated requests. Absent: as before.
   * later: ms until the slot the root booked for this joiner (required).
   */
  wait?: number
}
/**
 * Heartbeats are small: `known` is the epoch of the tree-wide info the sender
 * already holds, and the parent leaves `info` out of its answer unless it has
 * newer (or belongs to another tree), since the child would ignore it anyway.
 * In a quiet tree a heartbeat is ~120 bytes and its answer ~350.
 */
export interface Heartbeat {
  treeId: string
  epoch: Epoch
  position: number
  known?: Epoch
}
export interface HeartbeatReply {
  /** Whether the sender is this node's child at the position it claims. */
  childOk: boolean
  /** The parent's own placement epoch, so a stale side can tell. */
  epoch: Epoch
  info?: TreeInfo
  /** Sent to a child that was behind (with `info`) or not placed here; absent (decoded as []) otherwise. */
  contacts?: Member[]
}
export interface ProbeReply {
  state: string
  treeId?: string
  position?: number
  epoch?: Epoch
  root?: Member
}
export interface WhoisReply {
  /** A few nodes the answering node knows: probes double as contact gossip. */
  contacts?: Member[]
  /** A root's deputies, so another root can check with them that the tree is real before dissolving into it. */
  deputies?: Placed[]
  /** The largest tree the answering node has heard of lately. */
  best?: { treeId: string; root: Member; size: number; age?: number }
  state: string
  treeId?: string
  epoch?: Epoch
  root?: Member
  size?: number
}
/**
 * At most this many parts to a deputy snapshot sent in parts (config snapshotPartMembers, 20,000 by
 * default: a member's JSON is at most ~450 bytes, so a part stays under 9 MB, ~2 MB with typical
 * members; a million-member roster is 50 parts). 10,000,000 members, as a snapshot in one message.
 */
export const MAX_SNAPSHOT_PARTS = 500
/** A snapshot put together from parts holds at most as many members as one in a single message may. */
export const MAX_SNAPSHOT_MEMBERS = 10_000_000

export interface SyncRequest {
  treeId: string
  epoch: Epoch
  base?: Epoch
  ops?: RosterOp[]
  snapshot?: Member[]
  maxChildren: number
  /** The root's term certificates (a root of a later term than the first), so a member that knew an older root can follow. */
  chain?: TermCert[]
  /** Snapshots: the root's word that the receiver is one of its deputies this term (it may then promote a new root). */
  deputyCert?: DeputyCert
  /**
   * A snapshot of more than snapshotPartMembers goes in parts of that many, [index, count], in order,
   * each answered before the next: the deputy installs the roster with the last part.
   */
  part?: [number, number]
}
/**
 * "`root` is the root of this tree from `term` on", signed by `by`: the deputy
 * that promoted it after the old root went silent (with `deputy`, the old
 * root's word that `by` was its deputy), or the root that handed its place
 * over when leaving (origin.ts has the signed bytes). A root keeps the
 * certificates of the last few terms (its chain): a member accepts a root it
 * did not know only through a chain that starts at the root it knew.
 */
export interface TermCert {
  term: number
  root: string
  by: string
  /** base64 of the 64-byte signature. */
  sig: string
  deputy?: DeputyCert
}
/** "The signer of `sig`, `root`, made the certificate's signer its deputy in `term`". */
export interface DeputyCert {
  root: string
  term: number
  sig: string
}
export interface Assign {
  view: View
  chain?: TermCert[]
}
export interface Suspect {
  treeId: string
  position: number
  id: string
}
export interface Promote {
  treeId: string
  epoch: Epoch
  snapshot: Member[]
  /** The promoter's chain, ending with the certificate that makes the receiver root. */
  chain: TermCert[]
  /** A snapshot of more than snapshotPartMembers: this part, [index, count] (all sent at once, any order). */
  part?: [number, number]
}
export interface MergeHint {
  treeId: string
  epoch?: Epoch
  root: Member
  size: number
}
export interface Broadcast {
  /** The tree this broadcast belongs to: it never crosses into another (a node that moves carries it over). */
  treeId: string
  bid: string
  origin: string
  kind: string
  body: string // base64
  bodyType: BodyType
  /** The origin's network time when it started the broadcast, ms. */
  at: number
  /** base64 of the origin's signature over broadcastSignedBytes (origin.ts): every hop checks who started it. */
  sig: string
  /**
   * Links this copy has crossed since the origin: the origin sends 1, every
   * forward (and every resend over a repaired link) sends what it got plus one.
   * Informational (depth measurements); duplicates are suppressed by `bid`.
   */
  hops: number
}
export interface Route {
  /** Positions only mean something within one tree. */
  treeId?: string
  dst: { position?: number; node?: string }
  src: Member
  kind: string
  body: string // base64
  bodyType: BodyType
  hops: number
  /** Random id (16 hex digits): the addressee delivers each once. */
  rid: string
  /** The origin's network time when it sent the message, ms. */
  at: number
  /** base64 of `src`'s signature over routeSignedBytes (origin.ts). */
  sig: string
}
export interface Whereami {
  treeId: string
  member: Member
}
export interface WhereamiReply {
  /** Absent: the root does not know the asker at a position. */
  view?: View
}
/** The body of a `tree.dissolve` broadcast. */
export interface Dissolve {
  /** The tree that dissolves. */
  treeId: string
  /** Whose tree its members join. */
  root: Member
  /** The dissolving root's term, and its term certificates (members that knew an older root check them). */
  term: number
  chain?: TermCert[]
}
export interface LeaveRequest {
  treeId: string
  member: Member
  position: number
}

/** Term certificates a root keeps and sends (the last few terms). */
export const MAX_CHAIN = 4
