/**
 * The owner's `borg stream …` commands, run against the node started from the
 * same BORG_HOME: each is a request to its shard cell's receptor, signed with
 * the node key (the only key these kinds are accepted from).
 */
import { exchangeIn, withLocalNode, type Exchange } from '../node/local-client.js'
import { STREAM_CODECS, type StreamProgress } from './messages.js'
import { sendFile, type SendOptions } from './sender.js'

function control<Q, A>(home: string, exchange: Exchange<Q, A>, value: Q, timeoutMs = 10_000): Promise<A> {
  return withLocalNode(home, (node) => node.ask(exchange, value, 'shard'), timeoutMs)
}

/** Take offers from this key without asking (it goes on the node's allow-list). */
export const allowKey = (home: string, key: string) => control(home, { request: STREAM_CODECS.allow, reply: STREAM_CODECS.allowReply }, { key })

/** Take the key off the allow-list and drop its pending offers. */
export const denyKey = (home: string, key: string) => control(home, { request: STREAM_CODECS.deny, reply: STREAM_CODECS.denyReply }, { key })

/** Offers waiting for the owner, and the allow-list. */
export const listPending = (home: string) => control(home, { request: STREAM_CODECS.pending, reply: STREAM_CODECS.pendingReply }, {})

/** Accept one pending offer: the node starts pulling it (within its quota). */
export const acceptOffer = (home: string, id: string) => control(home, { request: STREAM_CODECS.accept, reply: STREAM_CODECS.acceptReply }, { id: id.trim().toLowerCase() })

/** Send a file through the local node (it serves the chunks; the receiver pulls them from it). */
export function sendThroughNode(home: string, options: Omit<SendOptions, 'node'>): Promise<StreamProgress & { bytes: number }> {
  return withLocalNode(
    home,
    (node) => sendFile({ ...options, node: { control: async <T,>(kind: string, body: Record<string, unknown>) => (await node.ask(exchangeIn(STREAM_CODECS, kind), body, 'shard')) as T, transport: node.transport } }),
    60_000,
  )
}
