/**
 * What the conduit's API does (docs/conduit.md "API"), assembled from its
 * parts: identity, wallet, files, network, confirmations, and records signed
 * with the node key. Handlers validate their input; the guard has already
 * checked who is asking.
 */
import { BorgError } from '../core/errors.js'
import { utf8 } from '../core/bytes.js'
import { isRecord } from '../core/codec/checks.js'
import { loadOrCreateNodeKey } from '../core/identity/node-key.js'
import { nodeSigner } from '../core/identity/signer.js'
import type { Logger } from '../core/log.js'
import { putRecord } from '../client/records-client.js'
import { ANY } from './endpoint-pool.js'
import { ConduitNetwork } from './conduit-network.js'
import { Confirmations } from './confirmations.js'
import { Keyring } from './keyring.js'
import type { ConduitApi } from './conduit-server.js'
import type { ApiContext } from './api/context.js'
import { field } from './api/context.js'
import { identityApi } from './api/identity-api.js'
import { walletApi } from './api/wallet-api.js'
import { filesApi } from './api/files-api.js'
import { networkApi } from './api/network-api.js'
import { mailApi } from './api/mail-api.js'

export interface ConduitApiOptions {
  home: string
  /** HOST:PORT of a node to start from instead of the one running from `home`. */
  node?: string
  log: Logger
  env?: NodeJS.ProcessEnv
}

export async function conduitApi(options: ConduitApiOptions): Promise<ConduitApi & { close(): Promise<void> }> {
  const env = options.env ?? process.env
  const keyring = new Keyring(options.home, env)
  // Scripts and tests unlock at start with BORG_PASSPHRASE; a person unlocks in the page.
  if (env.BORG_PASSPHRASE !== undefined && (await keyring.state()).state === 'locked') await keyring.unlock(env.BORG_PASSPHRASE)
  const network = await ConduitNetwork.open({ home: options.home, node: options.node, log: options.log })
  const ctx: ApiContext = { home: options.home, keyring, network, confirmations: new Confirmations() }
  const files = filesApi(ctx)
  const mail = mailApi(ctx)
  const parts = [identityApi(ctx), walletApi(ctx), files, networkApi(ctx), mail]
  const api: ConduitApi = { get: {}, post: {}, media: files.media }
  for (const part of parts) {
    Object.assign(api.get, part.get)
    Object.assign(api.post, 'post' in part ? part.post : {})
  }
  Object.assign(api.post, {
    /** {"id"}: do what a confirmation described (once). */
    confirm: (body: unknown) => ctx.confirmations.confirm(field(body, 'id', { max: 64 })),
    cancel: async (body: unknown) => ({ cancelled: ctx.confirmations.cancel(field(body, 'id', { max: 64 })) }),
    /** {"collection", "content": JSON}: a record signed with this home's node key, pushed to the best node that takes it. */
    records: async (body: unknown) => {
      if (!isRecord(body) || typeof body.collection !== 'string' || !('content' in body)) throw new BorgError('invalid-input', 'send {"collection": name, "content": any JSON}')
      const signer = nodeSigner(await loadOrCreateNodeKey(options.home))
      const content = utf8.encode(JSON.stringify(body.content))
      return network.pool.write(ANY, (cell) => putRecord(network.recordsPeer(cell), signer, body.collection as string, content, { json: true }))
    },
  })
  return {
    ...api,
    close: async () => {
      await files.close()
      await mail.close()
      await network.close()
    },
  }
}
