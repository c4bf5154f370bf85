/**
 * The mail cell's organ (docs/mail.md): a mailbox for the recipients whose
 * mail ranks it among their three (rendezvous hashing of the recipient's key
 * over the mail tree's members, as chunks are placed), reconciled with the
 * other two every sync interval (Negentropy per recipient), bounded and
 * throttled at the door.
 *
 * Who may send what (docs/protocol.md §5.1):
 * - `mail.deliver`, `mail.policy`, `mail.members`: anyone (a wrap names its
 *   recipient and proves nothing else; the rate limits, the optional proof of
 *   work and the recipient's quota bound what a stranger can make it store);
 * - `mail.list`, `mail.fetch`, `mail.delete`: the recipient's own identity
 *   key only (a secp256k1 sender; the mailbox it reads is its key's);
 * - `mail.reconcile`, `mail.copy`: members of this node's view of the mail tree.
 *
 * BORG_MAIL_SYNC_MS (default 10 s), BORG_MAIL_POW_BITS (default 0),
 * BORG_MAIL_PER_SENDER (wraps a minute per sender key, default 60),
 * BORG_MAIL_PER_SOURCE (per source address, default 1200),
 * BORG_MAIL_RETENTION_DAYS (default 30), BORG_MAIL_ACCEPT_RANK (default 5).
 */
import { BorgError } from '../../core/errors.js'
import { bytesToHex, utf8 } from '../../core/bytes.js'
import { ALG_SECP256K1 } from '../../core/crypto/key-id.js'
import type { Incoming } from '../../core/wire/message.js'
import type { Codec } from '../../core/codec/codec.js'
import type { SenderRule } from '../../core/wire/sender-rule.js'
import { ANYONE } from '../../core/messaging/router.js'
import { request } from '../../core/messaging/requests.js'
import type { Member } from '../../core/tree/types.js'
import type { Responder } from '../../core/wire/transport.js'
import { answerMembers } from '../../core/tree/member-list.js'
import { MemberView, ownTreeMembers } from '../../core/tree/member-view.js'
import { MAILBOX_COPIES, rankMailboxes } from '../../core/mail/mailbox-placement.js'
import type { Organ, OrganContext } from '../../core/cell/types.js'
import { answerWhenReady } from '../../core/cell/answer.js'
import { answerReconcile, syncWith } from '../../core/records/sync.js'
import { SortedItems } from '../../core/records/negentropy.js'
import { checkWrap, leadingZeroBits, MAX_WRAP_BYTES } from '../../core/mail/gift-wrap.js'
import { mailKeysPolicy } from '../../core/mail/mail-keys.js'
import { MailboxStore, DEFAULT_MAILBOX_LIMITS, type MailboxLimits } from './mailbox-store.js'
import { RateLimits, DEFAULT_RATE_LIMITS, type RateLimitOptions } from './rate-limits.js'
import { MAIL_CODECS, MAIL_KIND, MAX_DELIVER_BYTES, MAX_IDS } from './messages.js'

const EMPTY = new SortedItems()
/** Recipients reconciled per sync round at most (the rest in later rounds). */
const RECIPIENTS_PER_ROUND = 200

export interface MailOptions {
  syncMs: number
  /**
   * A cell takes mail (from outside the mail tree) only for recipients it ranks among the first this
   * many for: their three and a margin for views that differ while the tree changes.
   */
  acceptRank: number
  powBits: number
  limits: MailboxLimits
  rates: RateLimitOptions
}

export const DEFAULT_MAIL: MailOptions = { syncMs: 10_000, acceptRank: MAILBOX_COPIES + 2, powBits: 0, limits: DEFAULT_MAILBOX_LIMITS, rates: DEFAULT_RATE_LIMITS }

/** The x-only key of a secp256k1 sender (its identity), or undefined for any other key. */
export function recipientOf(m: Incoming): string | undefined {
  return m.from[0] === ALG_SECP256K1 && m.from.length === 34 ? bytesToHex(m.from.subarray(2)) : undefined
}

const RECIPIENT_ONLY: SenderRule = {
  name: "the recipient's identity key",
  refuse: (m) => (recipientOf(m) ? undefined : 'mailboxes are read and emptied by their recipient’s identity key (secp256k1) only'),
}

export class MailOrgan implements Organ {
  readonly name = 'mailboxes'
  readonly store: MailboxStore
  readonly mailCells: MemberView
  readonly rates: RateLimits
  private opened?: Promise<void>
  private timer?: ReturnType<typeof setInterval>
  private cursor = 0
  private syncing = false
  readonly counters = { delivered: 0, known: 0, refused: 0, powRefused: 0, listed: 0, fetched: 0, deleted: 0, syncRounds: 0, synced: 0, syncFailures: 0 }

  constructor(
    private readonly ctx: OrganContext,
    private readonly options: MailOptions = DEFAULT_MAIL,
  ) {
    if (!ctx.dataDir) throw new BorgError('usage', 'the mail cell needs a data directory')
    this.store = new MailboxStore(ctx.dataDir, ctx.log, options.limits)
    this.rates = new RateLimits(options.rates, () => ctx.clock.monotonic())
    this.mailCells = ownTreeMembers(ctx.transport, MAIL_KIND.members, ctx.tree, ctx.clock)
    const member: SenderRule = {
      name: 'a member of the mail tree',
      refuse: (m) => (this.mailCells.byId(m.fromHex) || m.fromHex === ctx.self.id ? undefined : 'only mail cells of this tree reconcile mailboxes'),
    }
    for (const router of [ctx.net, ctx.receptor]) {
      router.on(MAIL_KIND.members, ANYONE, (m, r) => r && answerMembers(ctx.tree, m, r, () => this.mailCells.current))
      router.on(MAIL_KIND.policy, ANYONE, (_m, r) => r?.reply(MAIL_CODECS.policyReply.encode(this.policy())))
      router.on(MAIL_KIND.deliver, ANYONE, (m, r) => this.guard(r, () => this.onDeliver(m, r!)))
      router.on(MAIL_KIND.list, RECIPIENT_ONLY, (m, r) => this.guard(r, () => this.onList(m, r!)))
      router.on(MAIL_KIND.fetch, RECIPIENT_ONLY, (m, r) => this.guard(r, () => this.onFetch(m, r!)))
      router.on(MAIL_KIND.delete, RECIPIENT_ONLY, (m, r) => this.guard(r, () => this.onDelete(m, r!)))
      router.on(MAIL_KIND.reconcile, member, (m, r) => this.guard(r, () => this.onReconcile(m, r!)))
      router.on(MAIL_KIND.copy, member, (m, r) => this.guard(r, () => this.onCopy(m, r!)))
    }
  }

  policy() {
    return {
      powBits: this.options.powBits,
      maxWrapBytes: MAX_WRAP_BYTES,
      retentionDays: Math.round(this.options.limits.retentionMs / 86_400_000),
      perRecipientWraps: this.options.limits.perRecipientWraps,
      perSenderPerMinute: this.options.rates.perSenderPerMinute,
      perSourcePerMinute: this.options.rates.perSourcePerMinute,
    }
  }

  start(): void {
    // This node holds the mail key directory too (senders look recipients' keys up in it).
    this.opened ??= Promise.all([this.store.open(this.ctx.clock.now()), this.ctx.records.open(mailKeysPolicy())]).then(() => undefined)
    this.opened.then(
      () => {
        this.timer = setInterval(() => void this.syncRound(), this.options.syncMs)
        this.timer.unref?.()
      },
      (error) => this.ctx.log.error(`mail: cannot open the mailboxes: ${(error as Error).message}`),
    )
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
  }

  status(): Record<string, unknown> {
    return { recipients: this.store.recipients().length, wraps: this.store.wrapCount, usedBytes: this.store.usedBytes, mailCellsKnown: this.mailCells.size, policy: this.policy(), throttled: { ...this.rates.throttled }, ...this.counters }
  }

  private guard(responder: Responder | undefined, task: () => Promise<void>): void {
    answerWhenReady(this.opened, responder, task, this.ctx.log, 'mail')
  }

  private async onDeliver(m: Incoming, r: Responder): Promise<void> {
    // Mail cells copying among themselves are not throttled; everyone else is, per key and per source.
    if (!this.mailCells.byId(m.fromHex)) {
      const verdict = this.rates.admit(m.fromHex, m.remote?.address)
      if (verdict !== 'ok') throw new BorgError('busy', verdict === 'sender' ? `too many mails from this sender: at most ${this.options.rates.perSenderPerMinute} a minute` : 'too many mails from this address: try again later')
    }
    if (m.body.length > MAX_DELIVER_BYTES) throw new BorgError('too-large', `a delivery holds one wrap of at most ${MAX_WRAP_BYTES} bytes`)
    const { wrap, recipient } = checkWrap(MAIL_CODECS.deliver.decode(m).wrap)
    if (!this.mailCells.byId(m.fromHex) && !this.mayHold(recipient)) {
      this.counters.refused++
      throw new BorgError('wrong-recipient', `this mail cell is not one of that recipient's mailboxes (it takes mail for recipients it ranks among the first ${this.options.acceptRank} for): deliver to the recipient's mailboxes (mail.members, docs/mail.md)`)
    }
    if (leadingZeroBits(wrap.id) < this.options.powBits) {
      this.counters.powRefused++
      throw new BorgError('refused', `this mailbox asks for a proof of work of ${this.options.powBits} bits (mail.policy)`)
    }
    try {
      const outcome = await this.store.put(recipient, wrap, this.ctx.clock.now())
      this.counters[outcome === 'stored' ? 'delivered' : 'known']++
      r.reply(MAIL_CODECS.deliverReply.encode({ id: wrap.id, outcome }))
    } catch (error) {
      this.counters.refused++
      throw error
    }
  }

  private async onList(m: Incoming, r: Responder): Promise<void> {
    const { limit, before } = MAIL_CODECS.list.decode(m)
    this.counters.listed++
    r.reply(MAIL_CODECS.listReply.encode(this.store.list(recipientOf(m)!, limit ?? MAX_IDS, before)))
  }

  private async onFetch(m: Incoming, r: Responder): Promise<void> {
    const { ids } = MAIL_CODECS.fetch.decode(m)
    const wraps = this.store.get(recipientOf(m)!, ids)
    this.counters.fetched += wraps.length
    r.reply(MAIL_CODECS.fetchReply.encode({ wraps }))
  }

  private async onDelete(m: Incoming, r: Responder): Promise<void> {
    const { ids } = MAIL_CODECS.delete.decode(m)
    const deleted = await this.store.delete(recipientOf(m)!, ids, this.ctx.clock.now())
    this.counters.deleted += deleted
    r.reply(MAIL_CODECS.deleteReply.encode({ deleted }))
  }

  private async onReconcile(m: Incoming, r: Responder): Promise<void> {
    const { recipient, frame } = MAIL_CODECS.reconcile.decode(m)
    const box = this.store.box(recipient)
    const items = box ? box.items : EMPTY
    r.reply(MAIL_CODECS.reconcileReply.encode({ frame: Buffer.from(answerReconcile({ items }, new Uint8Array(Buffer.from(frame, 'base64')))).toString('base64') }))
  }

  private async onCopy(m: Incoming, r: Responder): Promise<void> {
    const { recipient, ids } = MAIL_CODECS.copy.decode(m)
    r.reply(MAIL_CODECS.copyReply.encode({ wraps: this.store.get(recipient, ids) }))
  }

  /** Whether this cell ranks among the first `acceptRank` for the recipient in its view (any, before it has a view). */
  private mayHold(recipient: string): boolean {
    const members = this.mailCells.current?.members
    if (!members || members.length <= this.options.acceptRank) return true
    return this.holdersOf(recipient, members, this.options.acceptRank).some((m) => m.id === this.ctx.self.id)
  }

  /** The mail cells a recipient's mail belongs on, best first. */
  holdersOf(recipient: string, members: Member[], count = MAILBOX_COPIES): Member[] {
    return rankMailboxes(recipient, [...members, this.ctx.self]).slice(0, count)
  }

  /**
   * One round: for some of the recipients held here, reconcile with the other cells among their
   * three, pulling what this cell lacks and pushing what they lack (a cell that missed a mail may
   * hold nothing of that recipient, so it would not start). A cell that no longer ranks among a
   * recipient's three still reconciles, so the mail reaches the new holders.
   */
  async syncRound(): Promise<void> {
    if (this.syncing) return
    this.syncing = true
    try {
      // The member list at most one round old (an unchanged tree costs one small answer): who may
      // reconcile here, and where each recipient's mail belongs, follow the tree closely.
      await this.mailCells.refreshIfOlder(this.options.syncMs)
      const members = await this.mailCells.list().catch(() => [])
      if (members.length === 0) return
      const recipients = this.store.recipients()
      const start = this.cursor % Math.max(1, recipients.length)
      const batch = [...recipients.slice(start), ...recipients.slice(0, start)].slice(0, RECIPIENTS_PER_ROUND)
      this.cursor = start + batch.length
      for (const recipient of batch) {
        for (const peer of this.holdersOf(recipient, members)) {
          if (peer.id === this.ctx.self.id) continue
          await this.syncWithPeer(recipient, peer).catch((error: Error) => {
            this.counters.syncFailures++
            this.ctx.log.debug(`mail: reconciling ${recipient.slice(0, 12)} with ${peer.id.slice(0, 12)} failed: ${error.message}`)
          })
        }
      }
      this.counters.syncRounds++
    } finally {
      this.syncing = false
    }
  }

  private async syncWithPeer(recipient: string, peer: Member): Promise<void> {
    const box = this.store.box(recipient)
    if (!box) return
    const ask = async <Q, A>(codec: Codec<Q>, reply: Codec<A>, value: Q): Promise<A> => reply.decode(await request(this.ctx.transport, peer, codec.encode(value), 10_000))
    const stats = await syncWith(
      box,
      {
        reconcile: async (frame) => new Uint8Array(Buffer.from((await ask(MAIL_CODECS.reconcile, MAIL_CODECS.reconcileReply, { recipient, frame: Buffer.from(frame).toString('base64') })).frame, 'base64')),
        fetch: async (ids) => (await ask(MAIL_CODECS.copy, MAIL_CODECS.copyReply, { recipient, ids: ids.map(bytesToHex) })).wraps.map((w) => utf8.encode(JSON.stringify(w))),
        // What the peer lacks goes to it as deliveries (a mail cell's are not throttled).
        push: async (records) => {
          for (const bytes of records) await ask(MAIL_CODECS.deliver, MAIL_CODECS.deliverReply, { wrap: JSON.parse(utf8.decode(bytes)) })
        },
      },
      () => this.ctx.clock.now(),
      {
        accept: async (records) => {
          let refused = 0
          for (const bytes of records) {
            try {
              if (bytes.length > MAX_WRAP_BYTES) throw new BorgError('too-large', 'a wrap too large')
              const { wrap, recipient: named } = checkWrap(JSON.parse(utf8.decode(bytes)))
              if (named !== recipient) throw new BorgError('refused', 'a wrap for another recipient')
              await this.store.put(recipient, wrap, this.ctx.clock.now())
            } catch {
              refused++
            }
          }
          return refused
        },
      },
    )
    this.counters.synced += stats.fetched - stats.refused + stats.pushed
  }
}
