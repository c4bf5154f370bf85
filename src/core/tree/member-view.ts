/**
 * A tree's member list as a long-running organ keeps it (a shard cell's view
 * of its own tree, a file manager's view of the shard tree): fetched again
 * when older than `refreshMs`, and when a fetch fails the last list stays in
 * use (a dead root must not leave a node with no list until failover). A
 * fetch names the list held (`since`), so an unchanged tree costs a tiny
 * answer; `refresh` says who left and joined since the list held before,
 * which is how a file manager learns of a holder's death within seconds.
 */
import type { Clock } from '../wire/clock.js'
import { compareEpoch, type Epoch, type Member } from './types.js'
import type { Transport } from '../wire/transport.js'
import { fetchMemberList, membersReply, type FetchedMembers, type MemberList } from './member-list.js'
import type { TreeStanding } from './tree-node.js'

export interface MembershipChange {
  /** Members of the list held before that the new list lacks (same tree only: another tree is no evidence of a death). */
  left: Member[]
  joined: Member[]
  /** The list held before. */
  before: Member[]
}

export interface MemberViewOptions {
  /** Fetch the list; `since` names the list held. */
  fetch: (since?: { treeId: string; epoch: Epoch }) => Promise<FetchedMembers>
  clock: Clock
  /** A list older than this is fetched again when asked for, ms (default 30 s). */
  refreshMs?: number
}

interface Held extends MemberList {
  at: number
  byId: Map<string, Member>
  ids: ReadonlySet<string>
}

export class MemberView {
  private held?: Held
  private pending?: Promise<MembershipChange | undefined>
  private readonly refreshMs: number

  constructor(private readonly options: MemberViewOptions) {
    this.refreshMs = options.refreshMs ?? 30_000
  }

  get size(): number {
    return this.held?.byId.size ?? 0
  }

  /** The list held now, however old (undefined before the first fetch). */
  get current(): MemberList | undefined {
    return this.held
  }

  /** Age of the list held, ms (Infinity before the first fetch). */
  get ageMs(): number {
    return this.held ? this.options.clock.monotonic() - this.held.at : Infinity
  }

  /** Whether the list held is not of this tree and epoch (the tree as a member knows it now): it is out of date. */
  behind(now: { treeId: string; epoch: Epoch } | undefined): boolean {
    const held = this.held
    if (!held || !now) return true
    return held.treeId !== now.treeId || !held.epoch || compareEpoch(held.epoch, now.epoch) < 0
  }

  /** A member of the list held, by id. */
  byId(id: string): Member | undefined {
    return this.held?.byId.get(id)
  }

  /** The list: fetched again when older than `refreshMs`; when that fails, the last one (an error only when there never was one). */
  async list(): Promise<Member[]> {
    if (this.held && this.ageMs <= this.refreshMs) return this.held.members
    try {
      await this.refresh()
    } catch (error) {
      if (!this.held) throw error
    }
    return this.held!.members
  }

  /** The ids held now; a stale list is refreshed in the background, never waited for. */
  known(onError: (error: Error) => void): ReadonlySet<string> | undefined {
    if (this.ageMs > this.refreshMs) this.refresh().catch(onError)
    return this.held?.ids
  }

  /**
   * Fetch now (callers at the same time share one fetch); who left and joined
   * since the list held before. `full`: the whole list, even if the member
   * asked thinks the tree unchanged (its news lag the root's by a heartbeat or two).
   */
  refresh(options: { full?: boolean } = {}): Promise<MembershipChange | undefined> {
    if (this.pending && !options.full) return this.pending
    // A full fetch waits for the one in flight, which may have asked with `since`.
    const before = (this.pending ?? Promise.resolve(undefined)).catch(() => undefined)
    const fetch: Promise<MembershipChange | undefined> = before
      .then(() => this.fetchAndCompare(!options.full))
      .finally(() => {
        if (this.pending === fetch) this.pending = undefined
      })
    this.pending = fetch
    return fetch
  }

  /** Fetch again if the list held is older than `ms` (an unknown member named by a peer may have just joined). */
  async refreshIfOlder(ms: number): Promise<void> {
    if (this.ageMs > ms) await this.refresh().catch(() => undefined)
  }

  private async fetchAndCompare(useSince: boolean): Promise<MembershipChange | undefined> {
    const held = this.held
    const since = useSince && held?.treeId && held.epoch ? { treeId: held.treeId, epoch: held.epoch } : undefined
    const fetched = await this.options.fetch(since)
    const now = this.options.clock.monotonic()
    if ('unchanged' in fetched) {
      if (held) held.at = now
      return undefined
    }
    const sameTree = held !== undefined && held.treeId !== undefined && held.treeId === fetched.treeId
    // An older list of the same tree (a deputy's lagging replica, a member's cached copy) never replaces a newer one.
    if (sameTree && held.epoch && fetched.epoch && compareEpoch(fetched.epoch, held.epoch) < 0) return undefined
    const byId = new Map(fetched.members.map((m) => [m.id, m]))
    this.held = { ...fetched, at: now, byId, ids: new Set(byId.keys()) }
    if (!held) return undefined
    const joined = fetched.members.filter((m) => !held.byId.has(m.id))
    const left = sameTree ? held.members.filter((m) => !byId.has(m.id)) : []
    return left.length > 0 || joined.length > 0 ? { left, joined, before: held.members } : undefined
  }
}

/**
 * The member list of this node's own tree (`kind` = `<cell>.members`),
 * fetched starting from this node's own answer: the root reads its roster, a
 * deputy its replica, anyone else asks the root (then the deputies).
 */
export function ownTreeMembers(transport: Transport, kind: string, tree: TreeStanding, clock: Clock, refreshMs?: number): MemberView {
  return new MemberView({ fetch: (since) => fetchMemberList(transport, kind, membersReply(tree, { any: true, since }), { since }), clock, refreshMs })
}
