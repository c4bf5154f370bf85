/**
 * How commands talk to the node running from the same BORG_HOME: they find it
 * through running.json, read status from its monitor ports (pinned HTTPS,
 * GET) and send control requests to its receptor signed with the node key.
 */
import { BorgError } from '../errors.js'
import { loadNodeKey } from '../identity/node-key.js'
import { nodeSigner } from '../identity/signer.js'
import { silentLogger } from '../log.js'
import { HttpsTransport } from '../net/https-transport.js'
import { jsonMessage, readJson } from '../wire/message.js'
import { request } from '../wire/transport.js'
import { readRunning, type RunningNode } from './running-file.js'

export interface LocalNode {
  running: RunningNode
  transport: HttpsTransport
  cell(name?: string): { name: string; net: string; recp: string; mon: string }
  status<T = Record<string, unknown>>(cell?: string): Promise<T>
  control<T = Record<string, unknown>>(kind: string, body: Record<string, unknown>, cell?: string): Promise<T>
}

export async function withLocalNode<T>(home: string, fn: (node: LocalNode) => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const running = await readRunning(home)
  const key = await loadNodeKey(home)
  if (!key) throw new BorgError('not-found', `no node key in ${home}`)
  const transport = new HttpsTransport({ signer: nodeSigner(key), log: silentLogger, timeoutMs })
  const cell = (name?: string) => {
    const chosen = name ?? Object.keys(running.cells)[0]
    const endpoints = chosen ? running.cells[chosen] : undefined
    if (!chosen || !endpoints) throw new BorgError('not-found', `the node runs no ${name} cell (it runs ${Object.keys(running.cells).join(', ')})`)
    return { name: chosen, ...endpoints }
  }
  const node: LocalNode = {
    running,
    transport,
    cell,
    status: (name) => transport.client.getJson(cell(name).mon, '/status', running.nodeId),
    control: async (kind, body, name) => {
      const reply = await request(transport, { endpoint: cell(name).recp, id: running.nodeId }, jsonMessage(kind, body), timeoutMs)
      return readJson(reply)
    },
  }
  try {
    return await fn(node)
  } finally {
    await transport.close()
  }
}
