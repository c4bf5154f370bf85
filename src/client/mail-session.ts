/**
 * What `borg mail …` opens (the commands only parse and print): a mail cell
 * to enter by (the local node's; else one from its service registry; or the
 * node at --node), the mail tree's members, the directory on that node, and
 * — unlocked with BORG_PASSPHRASE or a prompt — the identity, whose key seals,
 * opens and signs the mailbox requests.
 */
import { BorgError } from '../core/errors.js'
import { silentLogger } from '../core/log.js'
import { HttpsTransport } from '../core/net/https-transport.js'
import { request } from '../core/messaging/requests.js'
import { NODE_CODECS } from '../core/node/messages.js'
import { localCell, readRunning } from '../core/node/running-file.js'
import { withLocalNode, type Exchange } from '../core/node/local-client.js'
import { loadOrCreateNodeKey } from '../core/identity/node-key.js'
import { nodeSigner, signerFromSecretKey, type Signer } from '../core/identity/signer.js'
import { unlockIdentity } from '../core/identity/identity.js'
import { keystorePassphrase, type SecretInput } from '../core/identity/secret-input.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import type { Member } from '../core/tree/types.js'
import type { Peer } from '../core/wire/transport.js'
import { findLiveCell, type RecordsPeer } from './records-client.js'
import { mailCells } from './mail-client.js'

export interface MailSession {
  /** Signed by this home's node key: finding cells, delivering. */
  transport: HttpsTransport
  /** Signed by the identity: the mailbox requests. */
  identity: HttpsTransport
  signer: Signer
  secretKey: Uint8Array
  publicKey: Uint8Array
  members: Member[]
  /** The node entered by, for the mail key directory (records.*). */
  directory: RecordsPeer
  close(): Promise<void>
}

async function entryOf(home: string, node: string | undefined, transport: HttpsTransport): Promise<Peer> {
  if (node) {
    const reply = NODE_CODECS.directoryReply.decode(await request(transport, { endpoint: node }, NODE_CODECS.directory.encode({}), 10_000))
    const recp = reply.cells.mail?.recp
    if (!recp) throw new BorgError('not-found', `the node at ${node} runs no mail cell (start it with --cells all)`)
    return { endpoint: recp, id: reply.nodeId }
  }
  const running = await readRunning(home).catch((error: unknown) => {
    throw new BorgError('not-found', `no node is running from ${home} (start one with "borg node join", or pass --node HOST:PORT): ${(error as Error).message}`)
  })
  const cell = localCell(running, 'mail')
  if (cell) return { endpoint: cell.recp, id: running.nodeId }
  const found = await withLocalNode(home, (n) => findLiveCell(n, 'mail')).catch(() => undefined)
  if (found) return found
  throw new BorgError('not-found', `the node running from ${home} has no mail cell and its service registry lists none (start it with --cells all, or pass --node HOST:PORT)`)
}

export async function openMail(home: string, input: SecretInput, node?: string, env: NodeJS.ProcessEnv = process.env): Promise<MailSession> {
  const transport = new HttpsTransport({ signer: nodeSigner(await loadOrCreateNodeKey(home)), log: silentLogger, timeoutMs: 15_000 })
  let identity: HttpsTransport | undefined
  try {
    const entry = await entryOf(home, node, transport)
    const passphrase = await keystorePassphrase(input, env, { confirm: false })
    const unlocked = await unlockIdentity(home, passphrase)
    unlocked.seed.fill(0)
    const secretKey = Uint8Array.from(unlocked.key.secretKey)
    const signer = signerFromSecretKey(secretKey)
    identity = new HttpsTransport({ signer, log: silentLogger, timeoutMs: 15_000 })
    const members = await mailCells(transport, entry)
    const directory: RecordsPeer = {
      ask: async <Q, A>(exchange: Exchange<Q, A>, value: Q): Promise<A> => exchange.reply.decode(await request(transport, entry, exchange.request.encode(value), 15_000)),
    }
    const ident = identity
    return {
      transport,
      identity: ident,
      signer,
      secretKey,
      publicKey: secp256k1.getPublicKey(secretKey, true),
      members,
      directory,
      close: async () => {
        secretKey.fill(0)
        await Promise.all([transport.close(), ident.close()])
      },
    }
  } catch (error) {
    await Promise.all([transport.close(), identity?.close()])
    throw error
  }
}
