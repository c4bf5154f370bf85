/**
 * A cell tree's member list, as cells that place data by rendezvous hashing
 * need it (shard chunks, file-manager manifests): the root answers with every
 * placed member, any other node points at its root. `<cell>.members` is the
 * kind; the reply is `{treeId, size, members}` from the root or `{root}`
 * from anyone else (docs/protocol.md §9.2).
 */
import { BorgError } from '../errors.js'
import { jsonMessage, readJson } from '../wire/message.js'
import type { Clock } from '../wire/clock.js'
import { Refreshed } from '../time/refreshed.js'
import { request, type Peer, type Responder, type Transport } from '../wire/transport.js'
import type { TreeStanding } from './tree-node.js'
import type { Member } from './types.js'

/** Members listed per reply; larger trees need paging (not yet). */
const MAX_MEMBERS = 100_000

export interface MembersReply {
  treeId?: string
  size?: number
  members?: Member[]
  /** Not the root: ask this one. */
  root?: Member
}

/** Answer a `<cell>.members` request from this node's view of its tree. */
export function answerMembers(tree: TreeStanding, kind: string, r: Responder): void {
  const roster = tree.state === 'root' ? tree.roster : undefined
  if (!roster) {
    const root = tree.info?.root ?? tree.view?.root
    if (!root) return r.fail('unavailable', `this node has not joined its ${kind.split('.')[0]} tree yet`)
    return r.reply(jsonMessage(`${kind}.reply`, { root } satisfies MembersReply))
  }
  const members: Member[] = []
  for (let p = 1; p <= Math.min(roster.size, MAX_MEMBERS); p++) {
    const m = roster.at(p)
    if (m) members.push({ id: m.id, endpoint: m.endpoint })
  }
  r.reply(jsonMessage(`${kind}.reply`, { treeId: roster.treeId, size: roster.size, members } satisfies MembersReply))
}

/** A tree's members, asked of `first` (any member; its answer may redirect to the root). */
export async function fetchMembers(transport: Transport, first: Peer | undefined, kind: string, timeoutMs = 10_000): Promise<Member[]> {
  const cell = kind.split('.')[0]
  let peer = first
  for (let hop = 0; peer && hop < 3; hop++) {
    const reply = readJson<MembersReply>(await request(transport, peer, jsonMessage(kind, {}), timeoutMs))
    if (typeof reply !== 'object' || reply === null) throw new BorgError('bad-reply', `${kind}: the reply is not an object`)
    if (Array.isArray(reply.members)) {
      if (reply.members.length === 0) throw new BorgError('unavailable', `the ${cell} tree has no members`)
      return reply.members.filter((m) => typeof m?.id === 'string' && typeof m?.endpoint === 'string')
    }
    peer = reply.root
  }
  throw new BorgError('unavailable', `no ${cell} cell answered with the member list`)
}

/**
 * A member list kept fresh for a long-running organ: refetched from the root
 * when older than `refreshMs`; concurrent callers share one fetch.
 */
export class MemberCache {
  private readonly members: Refreshed<{ list: Member[]; ids: Set<string> }>

  constructor(fetch: () => Promise<Member[]>, clock: Clock, refreshMs = 30_000) {
    this.members = new Refreshed(async () => {
      const list = await fetch()
      return { list, ids: new Set(list.map((m) => m.id)) }
    }, clock, refreshMs)
  }

  get size(): number {
    return this.members.current?.ids.size ?? 0
  }

  async list(): Promise<Member[]> {
    return (await this.members.get()).list
  }

  /** The ids known now; a stale list is refreshed in the background, never waited for. */
  known(onError: (error: Error) => void): Set<string> | undefined {
    this.members.get().catch(onError)
    return this.members.current?.ids
  }
}
