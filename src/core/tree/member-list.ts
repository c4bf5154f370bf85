/**
 * The member lists of the storage trees (`shard.members`, `files.members`,
 * docs/protocol.md §9.5), answered by any member and fetched without
 * depending on the root being alive.
 *
 * The root answers with its roster. Asked with `any`, a deputy answers with
 * its replica of the roster, and any other member with the last list it
 * fetched; without `any` they point at the root and the deputies. So when
 * the root has just died (until a deputy takes over, a few heartbeats), a
 * reader still gets a list: from a deputy, or from the node it entered by.
 * Asked with `since` (the tree id and epoch of the list the asker has), a
 * member whose tree is at that same epoch answers `unchanged`: a watcher
 * polls a member on its own node every few seconds for almost nothing, and
 * fetches the list only after the tree changed.
 */
import { BorgError } from '../errors.js'
import { bool, int, list, literal, object, optional, text, type Check } from '../codec/checks.js'
import { shapeCodec, type Codec } from '../codec/codec.js'
import type { Incoming } from '../wire/message.js'
import { request } from '../messaging/requests.js'
import type { Peer, Responder, Transport } from '../wire/transport.js'
import type { TreeStanding } from './tree-node.js'
import type { Epoch, Member } from './types.js'

/** Members listed per reply; larger trees need paging (not yet). */
export const MAX_MEMBERS = 100_000

/** Where a list came from: the root's roster, a deputy's replica of it, or a member's last fetched list. */
export type ListSource = 'root' | 'replica' | 'cached'

export interface MembersRequest {
  /** Answer with what you know, even if you are not the root. */
  any?: boolean
  /** The list the asker has: `unchanged` when this member's tree is at this epoch. */
  since?: { treeId: string; epoch: Epoch }
}

export interface MembersReply {
  treeId?: string
  epoch?: Epoch
  size?: number
  members?: Member[]
  source?: ListSource
  /** The tree is at the epoch the asker gave. */
  unchanged?: boolean
  /** Not the root: ask this one … */
  root?: Member
  /** … or, when it is gone, one of these (they hold replicas of its roster). */
  deputies?: Member[]
}

const epochCheck: Check<Epoch> = object({ term: int(), seq: int() })
const memberCheck: Check<Member> = object({ id: text({ max: 130 }), endpoint: text({ max: 300 }) })

/** The request and reply codecs of a cell's `<cell>.members` kind. */
export function membersCodecs(kind: string): { request: Codec<MembersRequest>; reply: Codec<MembersReply> } {
  return {
    request: shapeCodec(kind, { any: optional(bool), since: optional(object({ treeId: text(), epoch: epochCheck })) }),
    reply: shapeCodec(`${kind}.reply`, {
      treeId: optional(text()),
      epoch: optional(epochCheck),
      size: optional(int()),
      members: optional(list(memberCheck, MAX_MEMBERS)),
      source: optional(literal<ListSource>('root', 'replica', 'cached')),
      unchanged: optional(bool),
      root: optional(memberCheck),
      deputies: optional(list(memberCheck, 64)),
    }),
  }
}
const codecsByKind = new Map<string, ReturnType<typeof membersCodecs>>()
const codecsOf = (kind: string) => codecsByKind.get(kind) ?? codecsByKind.set(kind, membersCodecs(kind)).get(kind)!

/** A list as a member knows it. */
export interface MemberList {
  treeId?: string
  epoch?: Epoch
  members: Member[]
  source: ListSource
}

/** The tree id and epoch a member knows its tree at: the root's roster's, anyone else's latest tree info. */
export function treeEpochOf(tree: TreeStanding): { treeId: string; epoch: Epoch } | undefined {
  const roster = tree.roster
  if (tree.state === 'root' && roster) return { treeId: roster.treeId, epoch: roster.epoch }
  return tree.info ? { treeId: tree.info.treeId, epoch: tree.info.epoch } : undefined
}

/** What one member of a tree answers to `<cell>.members`, from its own state (`cached`: its last fetched list). */
export function membersReply(tree: TreeStanding, asked: MembersRequest, cached?: () => MemberList | undefined): MembersReply {
  const roster = tree.roster
  const isRoot = tree.state === 'root' && roster !== undefined
  const known = treeEpochOf(tree)
  if (asked.since && known && asked.since.treeId === known.treeId && sameEpoch(asked.since.epoch, known.epoch)) {
    return { treeId: known.treeId, epoch: { ...known.epoch }, unchanged: true }
  }
  // The root's roster; asked for anything, a deputy's replica of it (only while it belongs to the tree this node is in).
  if (roster && (isRoot || (asked.any && roster.treeId === known?.treeId))) {
    const members = roster.snapshot().slice(0, MAX_MEMBERS).map((m) => ({ id: m.id, endpoint: m.endpoint }))
    return { treeId: roster.treeId, epoch: { ...roster.epoch }, size: roster.size, members, source: isRoot ? 'root' : 'replica' }
  }
  const last = asked.any ? cached?.() : undefined
  if (last && last.members.length > 0) return { treeId: last.treeId, epoch: last.epoch, size: last.members.length, members: last.members.slice(0, MAX_MEMBERS), source: 'cached' }
  const root = tree.info?.root ?? tree.view?.root
  if (!root) throw new BorgError('unavailable', 'this node has not joined its tree yet')
  const deputies = (tree.info?.deputies ?? tree.view?.deputies ?? []).map((d) => ({ id: d.id, endpoint: d.endpoint }))
  return { treeId: known?.treeId, epoch: known?.epoch, root: { id: root.id, endpoint: root.endpoint }, deputies }
}

/** Answer a `<cell>.members` request (a JSON object; fields it does not know are ignored). */
export function answerMembers(tree: TreeStanding, m: Incoming, r: Responder, cached?: () => MemberList | undefined): void {
  try {
    const codecs = codecsOf(m.kind)
    r.reply(codecs.reply.encode(membersReply(tree, codecs.request.decode(m), cached)))
  } catch (error) {
    r.fail(error instanceof BorgError ? error.code : 'internal', (error as Error).message)
  }
}

function sameEpoch(a: Epoch, b: Epoch): boolean {
  return a.term === b.term && a.seq === b.seq
}

export interface FetchMembersOptions {
  /** Per request. */
  timeoutMs?: number
  /** The list the asker has (the first member asked may answer `unchanged`). */
  since?: { treeId: string; epoch: Epoch }
}

export type FetchedMembers = MemberList | { unchanged: true; treeId?: string; epoch?: Epoch }

/**
 * A tree's member list, starting at `first`: a member to ask, or what a member
 * answered already (a node asking its own tree starts from its own answer).
 * The root's list when the root answers; when it does not, a deputy's replica;
 * when none answers, the list the first member fetched last.
 */
export async function fetchMemberList(transport: Transport, kind: string, first: Peer | MembersReply, options: FetchMembersOptions = {}): Promise<FetchedMembers> {
  const cell = kind.split('.')[0]
  const timeoutMs = options.timeoutMs ?? 10_000
  const ask = async (peer: Peer, body: MembersRequest): Promise<MembersReply> => {
    const codecs = codecsOf(kind)
    return codecs.reply.decode(await request(transport, peer, codecs.request.encode(body), timeoutMs))
  }
  const entry = isPeer(first) ? first : undefined
  const errors: string[] = []
  let reply: MembersReply
  try {
    reply = entry ? await ask(entry, options.since ? { since: options.since } : {}) : (first as MembersReply)
  } catch (error) {
    throw new BorgError(error instanceof BorgError ? error.code : 'unavailable', `no ${cell} member list: ${(error as Error).message}`)
  }
  if (reply.unchanged) return { unchanged: true, treeId: reply.treeId, epoch: reply.epoch }
  const listed = listOf(reply, cell)
  if (listed) return listed
  // The root, following at most two more redirects (a failover it has seen and we have not).
  const tried = new Set<string>()
  let root = reply.root
  for (let hop = 0; root && hop < 3 && !tried.has(root.endpoint); hop++) {
    const peer: Member = root
    tried.add(peer.endpoint)
    try {
      const answer = await ask(peer, {})
      const list = listOf(answer, cell)
      if (list) return list
      root = answer.root
    } catch (error) {
      errors.push(`root ${peer.endpoint}: ${(error as Error).message}`)
      break
    }
  }
  // The root is gone or unreachable: a deputy's replica, then what the first member fetched last.
  for (const deputy of (reply.deputies ?? []).slice(0, 8)) {
    if (tried.has(deputy.endpoint)) continue
    tried.add(deputy.endpoint)
    try {
      const list = listOf(await ask(deputy, { any: true }), cell)
      if (list) return list
    } catch (error) {
      errors.push(`deputy ${deputy.endpoint}: ${(error as Error).message}`)
    }
  }
  if (entry) {
    try {
      const list = listOf(await ask(entry, { any: true }), cell)
      if (list) return list
    } catch (error) {
      errors.push(`${entry.endpoint}: ${(error as Error).message}`)
    }
  }
  throw new BorgError('unavailable', `no ${cell} member list: ${errors.slice(0, 3).join('; ') || 'no root known'}`)
}

function isPeer(value: Peer | MembersReply): value is Peer {
  return typeof (value as Peer).endpoint === 'string'
}

function listOf(reply: MembersReply, cell: string | undefined): MemberList | undefined {
  if (!reply.members) return undefined
  if (reply.members.length === 0) throw new BorgError('unavailable', `the ${cell} tree has no members`)
  return { treeId: reply.treeId, epoch: reply.epoch, members: reply.members.map((m) => ({ id: m.id, endpoint: m.endpoint })), source: reply.source ?? 'root' }
}
