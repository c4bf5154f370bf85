/**
 * Who gets a stream in (docs/protocol.md §9.7), before anything is pulled or
 * written:
 *
 * 1. The offer's endpoint must be a current member of the shard tree as this
 *    node knows it (`memberAt`), or the offer is refused and nothing is
 *    contacted; the pull then goes to that member, its id pinned.
 * 2. The owner's keys (consent.ts), and whoever the owner accepted this
 *    stream from before, are admitted within the quota (receiver.ts).
 * 3. Anyone else's offer is held pending (pending.ts) until the owner
 *    accepts it; one that could never fit the quota is refused at once.
 */
import { BorgError } from '../errors.js'
import type { Logger } from '../log.js'
import type { Member } from '../tree/types.js'
import type { Peer } from '../wire/transport.js'
import type { Consent } from './consent.js'
import type { PendingView, StreamOffer, StreamProgress } from './messages.js'
import { pendingId, type PendingOffer, type PendingOffers } from './pending.js'
import type { StreamReceiver } from './receiver.js'

export interface IntakeOptions {
  receiver: StreamReceiver
  pending: PendingOffers
  consent: Consent
  /**
   * The shard-tree member listening at this endpoint, as this node's view
   * knows it. When it is not in the list at hand, a fresh list is fetched from
   * the root: at once for the owner (`eager`), at most every few seconds for
   * anyone else, so strangers cannot make this node hammer its root.
   */
  /** The member at `endpoint`; where several share it (nodes behind the same relays), the one with id `sender`. */
  memberAt: (endpoint: string, eager: boolean, sender: string) => Promise<Member | undefined>
  log: Logger
}

export class StreamIntake {
  readonly counters = { offers: 0, notMembers: 0, heldPending: 0, accepted: 0 }

  constructor(private readonly options: IntakeOptions) {}

  async offer(offer: StreamOffer, sender: string): Promise<StreamProgress> {
    this.counters.offers++
    const { receiver, consent, pending } = this.options
    const consented = receiver.offeredBy(offer.streamId) === sender || (await consent.owner(sender)) !== undefined
    const source = await this.source(offer.endpoint, consented, sender)
    if (consented) return receiver.admit(offer, sender, source)
    if (offer.size > receiver.limits.quotaBytes) {
      throw new BorgError('refused', `quota: the stream needs ${offer.size} bytes; this node takes at most ${receiver.limits.quotaBytes} bytes of streams`)
    }
    const known = pending.get(pendingId(sender, offer.streamId))
    const held = pending.hold(offer, sender)
    if (known) return pendingProgress(held) // offered again: logged once
    this.counters.heldPending++
    this.options.log.info(`stream offer ${held.id} (${offer.size} bytes${offer.name ? `, ${offer.name}` : ''}) from ${sender.slice(0, 18)}… held for the owner: "borg stream accept ${held.id}" takes it`)
    return pendingProgress(held)
  }

  /** The owner accepts a pending offer: admitted like the owner's own (quota and source checked again). */
  async accept(id: string): Promise<StreamProgress> {
    const held = this.options.pending.get(id)
    if (!held) throw new BorgError('not-found', `no pending offer ${id} (offers lapse after a while; the sender can offer again)`)
    const source = await this.source(held.offer.endpoint, true, held.sender)
    const progress = await this.options.receiver.admit(held.offer, held.sender, source)
    this.options.pending.take(id)
    this.counters.accepted++
    return progress
  }

  list(): PendingView[] {
    return this.options.pending.list()
  }

  /** A stream's progress, for its offerer and the owner only (anyone else learns nothing, not even that it exists). */
  async status(streamId: string, asker: string): Promise<StreamProgress | undefined> {
    const { receiver, consent, pending } = this.options
    if (receiver.offeredBy(streamId) === asker || (await consent.owner(asker))) {
      const progress = receiver.status(streamId)
      if (progress) return progress
    }
    const held = pending.get(pendingId(asker, streamId))
    return held && pendingProgress(held)
  }

  private async source(endpoint: string, eager: boolean, sender: string): Promise<Peer> {
    let member: Member | undefined
    try {
      member = await this.options.memberAt(endpoint, eager, sender)
    } catch (error) {
      this.options.log.warn(`streams: cannot get the shard member list: ${(error as Error).message}`, 'stream-members')
      throw new BorgError('unavailable', "this node cannot check the offer's endpoint against its shard tree right now; try again later")
    }
    if (!member) {
      this.counters.notMembers++
      throw new BorgError('refused', "the offer's endpoint is not a member of this node's shard tree (streams are pulled only from members)")
    }
    return { endpoint: member.endpoint, id: member.id }
  }
}

function pendingProgress(held: PendingOffer): StreamProgress {
  return { streamId: held.offer.streamId, status: 'pending', received: 0, total: held.offer.count, done: false, offerId: held.id, expiresAt: held.expiresAt }
}
