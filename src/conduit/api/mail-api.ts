/**
 * /api/mail…: the identity's mail (docs/mail.md), sealed and opened here with
 * the unlocked identity; the page sees only what the person reads and writes.
 * Reading publishes the identity's mail key when the directory lacks it, so
 * others can write to its address. Mailbox requests are signed by the
 * identity (its own transport); finding mail cells goes through the pool.
 * Removing a mail waits for the conduit's confirmation, like any removal.
 */
import { BorgError } from '../../core/errors.js'
import { silentLogger } from '../../core/log.js'
import { HttpsTransport } from '../../core/net/https-transport.js'
import { request } from '../../core/messaging/requests.js'
import type { Exchange } from '../../core/node/local-client.js'
import type { Attachment } from '../../core/mail/gift-wrap.js'
import { deleteMail, deliverWrap, mailCells, openAttachment, sealAttachment } from '../../client/mail-client.js'
import { ensureMailKey, findMail, inbox, prepare } from '../../client/mail-actions.js'
import type { MailSession } from '../../client/mail-session.js'
import { Streamed } from '../conduit-server.js'
import type { CellEndpoint } from '../endpoint-pool.js'
import type { ApiContext } from './context.js'
import { field } from './context.js'

/** Attachments sent from the page travel in the request (base64): this much in all at most. */
export const MAX_PAGE_ATTACHMENTS_BYTES = 512 * 1024
const MAX_BODY = 45_000

export function mailApi(ctx: ApiContext) {
  let identityTransport: { generation: number; transport: HttpsTransport } | undefined

  /** A mail session entering at `cell`: the identity's transport (one per unlocking), the mail tree, the directory there. */
  const sessionAt = async (cell: CellEndpoint): Promise<MailSession> => {
    const me = ctx.keyring.unlocked()
    if (identityTransport?.generation !== ctx.keyring.generation) {
      await identityTransport?.transport.close()
      identityTransport = { generation: ctx.keyring.generation, transport: new HttpsTransport({ signer: me.signer, log: silentLogger, timeoutMs: 15_000 }) }
    }
    const peer = { endpoint: cell.endpoint, id: cell.node }
    const transport = ctx.network.transport
    return {
      transport,
      identity: identityTransport.transport,
      signer: me.signer,
      secretKey: me.secretKey,
      publicKey: me.publicKey,
      members: await mailCells(transport, peer),
      directory: { ask: async <Q, A>(exchange: Exchange<Q, A>, value: Q): Promise<A> => exchange.reply.decode(await request(transport, peer, exchange.request.encode(value), 15_000)) },
      close: async () => {},
    }
  }
  // The mail key is published (when the directory lacks it) on the first read after each unlocking.
  let publishedFor = -1
  const box = () =>
    ctx.network.pool.read('mail', async (cell) => {
      const publish = publishedFor !== ctx.keyring.generation
      const found = await inbox(await sessionAt(cell), { publish, home: ctx.home })
      if (publish) publishedFor = ctx.keyring.generation
      return found
    })

  /** Attachments from the page: sealed under fresh keys and stored through the best shard cell. */
  const storeFromPage = async (list: unknown): Promise<Attachment[]> => {
    if (list === undefined) return []
    if (!Array.isArray(list) || list.length > 16) throw new BorgError('invalid-input', 'attachments: at most 16 of {"name", "data": base64}')
    let total = 0
    const out: Attachment[] = []
    for (const item of list as { name?: unknown; data?: unknown }[]) {
      if (typeof item?.name !== 'string' || typeof item.data !== 'string') throw new BorgError('invalid-input', 'an attachment is {"name", "data": base64}')
      const bytes = new Uint8Array(Buffer.from(item.data, 'base64'))
      total += bytes.length
      if (total > MAX_PAGE_ATTACHMENTS_BYTES) throw new BorgError('too-large', `attachments sent from the page are at most ${MAX_PAGE_ATTACHMENTS_BYTES} bytes in all (the CLI takes 64 MiB each)`)
      const sealed = sealAttachment(bytes, item.name)
      const me = ctx.keyring.unlocked()
      const fileId = await ctx.network.pool.write('shard', async (cell) => {
        const put = await ctx.network.storageAt(cell).put(
          (async function* () {
            yield sealed.stored
          })(),
          { owner: me.signer },
        )
        return put.manifest.id
      })
      out.push({ file: fileId, key: Buffer.from(sealed.key).toString('hex'), name: sealed.name, size: sealed.size, sha256: sealed.sha256 })
    }
    return out
  }

  return {
    get: {
      /** The inbox, newest first: who (address, proven by the seal), when, subject, size, attachments. */
      mail: async () => {
        const found = await box()
        return {
          mails: found.mails.map((m) => ({ id: m.wrap, mail: m.id, created: m.created, from: m.address ?? m.from, subject: m.subject, bytes: m.body.length, attachments: m.attachments.length })),
          unreadable: found.unreadable.length,
          mailboxes: found.asked,
        }
      },
      'mail/read': async (query: URLSearchParams) => {
        const m = findMail(await box(), query.get('id') ?? '')
        return { id: m.wrap, mail: m.id, created: m.created, from: m.address ?? m.from, fromKey: m.fromKey ?? null, subject: m.subject, body: m.body, attachments: m.attachments.map((a, i) => ({ index: i, name: a.name, size: a.size })) }
      },
      /** Attachment `n` of mail `id`, decrypted and checked against what the sender sealed. */
      'mail/attachment': async (query: URLSearchParams) => {
        const m = findMail(await box(), query.get('id') ?? '')
        const a = m.attachments[Number(query.get('n'))]
        if (!a) throw new BorgError('not-found', 'no such attachment')
        const parts: Uint8Array[] = []
        await ctx.network.pool.read('shard', async (cell) => {
          parts.length = 0
          await ctx.network.storageAt(cell).get(a.file, (b) => void parts.push(Uint8Array.from(b)))
        })
        const plaintext = openAttachment(Buffer.concat(parts), a)
        return new Streamed(async (_req, res) => {
          res.head(200, { 'content-type': 'application/octet-stream', 'content-length': plaintext.length })
          await res.write(plaintext)
          res.end()
        })
      },
    },
    post: {
      /** Publish this identity's mail key now (reading does it too). */
      'mail/publish': async () => ({ published: await ctx.network.pool.write('mail', async (cell) => ensureMailKey(await sessionAt(cell))) }),
      /** {"to", "subject"?, "body", "attachments"?: [{"name", "data"}]}: sealed here, delivered to the recipient's mailboxes. */
      'mail/send': async (body: unknown) => {
        const to = field(body, 'to', { max: 70 })
        const subject = field(body, 'subject', { max: 256, optional: true })
        const text = field(body, 'body', { max: MAX_BODY, optional: true })
        const attachments = await storeFromPage((body as { attachments?: unknown }).attachments)
        if (!text && attachments.length === 0) throw new BorgError('invalid-input', 'write something, or attach a file')
        // Sealed once; a retry through another mail cell delivers the same wrap (a mailbox holding it answers "known").
        const started = performance.now()
        const sealed = await ctx.network.pool.read('mail', async (cell) => prepare(await sessionAt(cell), { to, subject, body: text, attachments }))
        const delivered = await ctx.network.pool.write('mail', async (cell) => deliverWrap(ctx.network.transport, (await sessionAt(cell)).members, sealed.wrap))
        return { id: sealed.id, to: sealed.to, mailboxes: delivered.stored.length, ms: Math.round(performance.now() - started) }
      },
      /** {"id"}: a confirmation; confirmed, the mail is deleted from every mailbox that answers. */
      'mail/remove': async (body: unknown) => {
        const m = findMail(await box(), field(body, 'id', { max: 64 }))
        const summary = `Delete the mail "${m.subject || '(no subject)'}" from ${m.address ?? m.from} from all your mailboxes. This cannot be undone.`
        return ctx.confirmations.ask(summary, { action: 'delete-mail', id: m.wrap, from: m.address ?? m.from, subject: m.subject }, async () => {
          const done = await ctx.network.pool.write('mail', async (cell) => {
            const session = await sessionAt(cell)
            return deleteMail(session.identity, session.members, session.secretKey, [m.wrap])
          })
          return { deleted: m.wrap, mailboxes: done.mailboxes }
        })
      },
    },
    close: async () => identityTransport?.transport.close(),
  }
}
