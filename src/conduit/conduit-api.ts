/**
 * What the conduit's API does (docs/conduit.md "API"), against this home's
 * identity and its local node: the identity's public half, the live service
 * registry, and records signed here with the node key. Handlers validate
 * their input; the guard has already checked who is asking.
 */
import { BorgError } from '../core/errors.js'
import { utf8 } from '../core/bytes.js'
import { showIdentity } from '../core/identity/identity.js'
import { loadNodeKey } from '../core/identity/node-key.js'
import { nodeSigner } from '../core/identity/signer.js'
import { withLocalNode } from '../core/node/local-client.js'
import { isRecord } from '../core/codec/checks.js'
import { putRecord, services } from '../client/records-client.js'
import type { ConduitApi } from './conduit-server.js'

export function conduitApi(home: string): ConduitApi {
  return {
    get: {
      identity: async () => {
        const me = await showIdentity(home).catch(() => {
          throw new BorgError('not-found', `no identity in ${home}: create one with "borg id new"`)
        })
        return { address: me.address, publicKey: me.publicKey, nodeId: me.nodeId }
      },
      services: () => withLocalNode(home, (node) => services(node)),
    },
    post: {
      /** {"collection", "content": JSON}: a record signed with this node's key, stored and synced by the local node. */
      records: async (body) => {
        if (!isRecord(body) || typeof body.collection !== 'string' || !('content' in body)) throw new BorgError('invalid-input', 'send {"collection": name, "content": any JSON}')
        const key = await loadNodeKey(home)
        if (!key) throw new BorgError('not-found', `no node key in ${home}: start a node with "borg node join"`)
        const signer = nodeSigner(key)
        const content = utf8.encode(JSON.stringify(body.content))
        return withLocalNode(home, (node) => putRecord(node, signer, body.collection as string, content, { json: true }))
      },
    },
  }
}
