/**
 * How commands talk to the node running from the same BORG_HOME: they find it
 * through running.json, read status from its monitor ports (pinned HTTPS,
 * GET) and send control requests to its receptor signed with the node key.
 */
import { BorgError } from '../errors.js'
import type { AnyCodec, Codec } from '../codec/codec.js'
import { loadNodeKey } from '../identity/node-key.js'
import { nodeSigner } from '../identity/signer.js'
import { silentLogger } from '../log.js'
import { HttpsTransport } from '../net/https-transport.js'
import { request } from '../messaging/requests.js'
import { NODE_CODECS } from './messages.js'
import { localCell, readRunning, type RunningNode } from './running-file.js'

/** A request kind's codec and its reply's. */
export interface Exchange<Q, A> {
  request: Codec<Q>
  reply: Codec<A>
}

/**
 * The codecs of `kind` and `<kind>.reply` in a codec table, for requests a
 * command builds as plain JSON (control kinds, whose codec values are their
 * bodies as sent).
 */
export function exchangeIn(table: Readonly<Record<string, AnyCodec>>, kind: string): Exchange<Record<string, unknown>, unknown> {
  const find = (wanted: string) => Object.values(table).find((codec) => codec.kind === wanted)
  const [ask, answer] = [find(kind), find(`${kind}.reply`)]
  if (!ask || !answer) throw new BorgError('internal', `no codecs for ${kind} and its reply`)
  return { request: ask, reply: answer }
}

export interface LocalNode {
  running: RunningNode
  transport: HttpsTransport
  cell(name?: string): { name: string; net: string; recp: string; mon: string }
  status<T = Record<string, unknown>>(cell?: string): Promise<T>
  /** A request to the receptor of one of the node's cells (the first by default), signed with the node key. */
  ask<Q, A>(exchange: Exchange<Q, A>, value: Q, cell?: string): Promise<A>
  /** A node control kind (NODE_CODECS: `node.leave`, `node.broadcast`, `node.send`), its body as built by the command. */
  control<T = Record<string, unknown>>(kind: string, body: Record<string, unknown>, cell?: string): Promise<T>
}

export async function withLocalNode<T>(home: string, fn: (node: LocalNode) => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const running = await readRunning(home)
  const key = await loadNodeKey(home)
  if (!key) throw new BorgError('not-found', `no node key in ${home}`)
  const transport = new HttpsTransport({ signer: nodeSigner(key), log: silentLogger, timeoutMs })
  const cell = (name?: string) => {
    const chosen = name ?? Object.keys(running.cells)[0]
    const endpoints = chosen ? localCell(running, chosen) : undefined
    if (!chosen || !endpoints) throw new BorgError('not-found', `the node runs no ${name} cell (it runs ${Object.keys(running.cells).join(', ')})`)
    return { name: chosen, ...endpoints }
  }
  const ask = async <Q, A>(exchange: Exchange<Q, A>, value: Q, name?: string): Promise<A> =>
    exchange.reply.decode(await request(transport, { endpoint: cell(name).recp, id: running.nodeId }, exchange.request.encode(value), timeoutMs))
  const node: LocalNode = {
    running,
    transport,
    cell,
    status: (name) => transport.client.getJson(cell(name).mon, '/status', running.nodeId),
    ask,
    control: async <R,>(kind: string, body: Record<string, unknown>, name?: string) => (await ask(exchangeIn(NODE_CODECS, kind), body, name)) as R,
  }
  try {
    return await fn(node)
  } finally {
    await transport.close()
  }
}
