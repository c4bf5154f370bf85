/**
 * The cell a client session enters the network by (`borg wallet`, `borg
 * mail`): the receptor of a cell of one type — on the node at --node (from
 * its directory), else on the node running from this home, else a live one
 * from that node's service registry (docs/records.md).
 */
import { BorgError } from '../core/errors.js'
import { request } from '../core/messaging/requests.js'
import { NODE_CODECS } from '../core/node/messages.js'
import { localCell, readRunning } from '../core/node/running-file.js'
import { withLocalNode } from '../core/node/local-client.js'
import type { Peer, Transport } from '../core/wire/transport.js'
import { findLiveCell } from './records-client.js'

export async function cellEntry(home: string, node: string | undefined, transport: Transport, type: string): Promise<Peer> {
  if (node) {
    const reply = NODE_CODECS.directoryReply.decode(await request(transport, { endpoint: node }, NODE_CODECS.directory.encode({}), 10_000))
    const recp = reply.cells[type]?.recp
    if (!recp) throw new BorgError('not-found', `the node at ${node} runs no ${type} cell (start it with --cells all)`)
    return { endpoint: recp, id: reply.nodeId }
  }
  const running = await readRunning(home).catch((error: unknown) => {
    throw new BorgError('not-found', `no node is running from ${home} (start one with "borg node join", or pass --node HOST:PORT): ${(error as Error).message}`)
  })
  const cell = localCell(running, type)
  if (cell) return { endpoint: cell.recp, id: running.nodeId }
  const found = await withLocalNode(home, (n) => findLiveCell(n, type)).catch(() => undefined)
  if (found) return found
  throw new BorgError('not-found', `the node running from ${home} has no ${type} cell and its service registry lists none (start it with --cells all, or pass --node HOST:PORT)`)
}
