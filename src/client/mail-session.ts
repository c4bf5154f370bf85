/**
 * What `borg mail …` opens (the commands only parse and print): a mail cell
 * to enter by (the local node's; else one from its service registry; or the
 * node at --node), the mail tree's members, the directory on that node, and
 * — unlocked with BORG_PASSPHRASE or a prompt — the identity, whose key seals,
 * opens and signs the mailbox requests.
 */
import { silentLogger } from '../core/log.js'
import { HttpsTransport } from '../core/net/https-transport.js'
import { request } from '../core/messaging/requests.js'
import type { Exchange } from '../core/node/local-client.js'
import { loadOrCreateNodeKey } from '../core/identity/node-key.js'
import { nodeSigner, signerFromSecretKey, type Signer } from '../core/identity/signer.js'
import { unlockIdentity } from '../core/identity/identity.js'
import { keystorePassphrase, type SecretInput } from '../core/identity/secret-input.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import type { Member } from '../core/tree/types.js'
import type { RecordsPeer } from './records-client.js'
import { cellEntry } from './cell-entry.js'
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

export async function openMail(home: string, input: SecretInput, node?: string, env: NodeJS.ProcessEnv = process.env): Promise<MailSession> {
  const transport = new HttpsTransport({ signer: nodeSigner(await loadOrCreateNodeKey(home)), log: silentLogger, timeoutMs: 15_000 })
  let identity: HttpsTransport | undefined
  try {
    const entry = await cellEntry(home, node, transport, 'mail')
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
