/**
 * The owner's `borg stream …` commands, run against the node started from the
 * same BORG_HOME: each is a request to its shard cell's receptor, signed with
 * the node key (the only key these kinds are accepted from).
 */
import { withLocalNode } from '../node/local-client.js'
import { STREAM_KIND, type StreamProgress } from './messages.js'
import type { PendingView } from './pending.js'
import { sendFile, type SendOptions } from './sender.js'

function control<T>(home: string, kind: string, body: Record<string, unknown>, timeoutMs = 10_000): Promise<T> {
  return withLocalNode(home, (node) => node.control<T>(kind, body, 'shard'), timeoutMs)
}

/** Take offers from this key without asking (it goes on the node's allow-list). */
export const allowKey = (home: string, key: string) => control<{ key: string; added: boolean }>(home, STREAM_KIND.allow, { key })

/** Take the key off the allow-list and drop its pending offers. */
export const denyKey = (home: string, key: string) => control<{ key: string; removed: boolean; pendingDropped: number }>(home, STREAM_KIND.deny, { key })

/** Offers waiting for the owner, and the allow-list. */
export const listPending = (home: string) => control<{ pending: PendingView[]; allowed: string[] }>(home, STREAM_KIND.pending, {})

/** Accept one pending offer: the node starts pulling it (within its quota). */
export const acceptOffer = (home: string, id: string) => control<StreamProgress>(home, STREAM_KIND.accept, { id: id.trim().toLowerCase() })

/** Send a file through the local node (it serves the chunks; the receiver pulls them from it). */
export function sendThroughNode(home: string, options: Omit<SendOptions, 'node'>): Promise<StreamProgress & { bytes: number }> {
  return withLocalNode(home, (node) => sendFile({ ...options, node: { control: <T>(kind: string, body: Record<string, unknown>) => node.control<T>(kind, body, 'shard'), transport: node.transport } }), 60_000)
}
