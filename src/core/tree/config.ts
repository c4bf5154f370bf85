/** Timing and shape of one tree. Defaults suit a LAN or loopback; the simulator uses them too. */
export interface TreeConfig {
  /** Children per node (the cell's DNA). */
  maxChildren: number
  /** How many nodes after the root (positions 2 …) hold a replica of its roster. */
  deputies: number
  /** A child pings its parent this often … */
  heartbeatMs: number
  /** … or this often when it is a quiet leaf: no children, no deputy, its last beat answered `childOk` (heartbeat.ts quietLeaf). */
  quietHeartbeatMs: number
  /** Bounds of the adaptive failure timeout. */
  minFailTimeoutMs: number
  maxFailTimeoutMs: number
  /** Tree requests (join, probe, whereami, sync) time out after this. */
  requestTimeoutMs: number
  /** A deputy snapshot of more members than this goes in parts of this many (tree.sync `part`). */
  snapshotPartMembers: number
  /** The root queues at most this many joiners; more are told when to come back (a 'later' slot). */
  maxJoinQueue: number
  /** The root admits queued joiners this often … */
  joinTickMs: number
  /** … filling at most this many parents per tick (one round = one parent's free slots). */
  roundsPerTick: number
  /** A queued joiner asks again if no assignment came within this. */
  joinRetryMs: number
  /** A node that reaches no contact for this long founds its own tree. */
  aloneAfterMs: number
  /** A node cut off from its parent, root and deputies for this long leaves its tree and founds its own. */
  orphanAfterMs: number
  /** A root probes one contact this often to find other trees (splits heal by merging). */
  mergeProbeMs: number
  /** Broadcast ids are remembered this long (duplicates suppressed). */
  broadcastMemoryMs: number
  /** Recent broadcasts kept to resend over a repaired link. */
  recentBroadcasts: number
  /** Outbox bounds. */
  outboxPerDestination: number
  outboxTotal: number
  /** Contacts remembered for rejoining and merge discovery. */
  maxContacts: number
  /** Every node trades a few contacts with a random one this often (peer sampling). */
  shuffleMs: number
}

export function treeConfig(overrides: Partial<TreeConfig> & { maxChildren: number }): TreeConfig {
  const heartbeatMs = overrides.heartbeatMs ?? 1000
  return {
    deputies: 3,
    heartbeatMs,
    quietHeartbeatMs: 2 * heartbeatMs,
    minFailTimeoutMs: 3 * heartbeatMs,
    maxFailTimeoutMs: 15 * heartbeatMs,
    requestTimeoutMs: 2 * heartbeatMs,
    snapshotPartMembers: 20_000,
    maxJoinQueue: 100_000,
    joinTickMs: 100,
    roundsPerTick: 50,
    joinRetryMs: 3 * heartbeatMs,
    aloneAfterMs: 5 * heartbeatMs,
    orphanAfterMs: 10 * heartbeatMs,
    mergeProbeMs: 2 * heartbeatMs,
    broadcastMemoryMs: 10 * 60_000,
    recentBroadcasts: 64,
    outboxPerDestination: 256,
    outboxTotal: 4096,
    maxContacts: 64,
    shuffleMs: 5 * heartbeatMs,
    ...overrides,
  }
}
