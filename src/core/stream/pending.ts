/**
 * Offers from keys the owner has not allowed: held in memory, not pulled,
 * until the owner accepts one (`borg stream accept ID`), denies its key, or
 * it lapses. Bounded: PENDING_LIMITS.max offers in all, `perSender` from one
 * key, each for `ttlMs` from its first arrival (offering it again does not
 * extend it). A restart forgets them; the sender offers again.
 */
import { BorgError } from '../errors.js'
import { bytesToHex } from '../bytes.js'
import { sha256 } from '../crypto/hash.js'
import { utf8 } from '../bytes.js'
import type { Clock } from '../wire/clock.js'
import type { PendingView, StreamOffer } from './messages.js'

export interface PendingLimits {
  max: number
  perSender: number
  ttlMs: number
}

export const PENDING_LIMITS: PendingLimits = { max: 16, perSender: 4, ttlMs: 60 * 60_000 }

export interface PendingOffer {
  /** What the owner accepts it by: 16 hex digits derived from the sender and the stream. */
  id: string
  sender: string
  offer: StreamOffer
  arrivedAt: number
  expiresAt: number
}

export const pendingId = (sender: string, streamId: string): string => bytesToHex(sha256(utf8.encode(`${sender}:${streamId}`))).slice(0, 16)

export class PendingOffers {
  private readonly offers = new Map<string, PendingOffer>()

  constructor(
    private readonly clock: Clock,
    private readonly limits: PendingLimits = PENDING_LIMITS,
  ) {}

  get count(): number {
    this.expire()
    return this.offers.size
  }

  /** Hold an offer (or find it held already); refused when the list, or this sender's share of it, is full. */
  hold(offer: StreamOffer, sender: string): PendingOffer {
    this.expire()
    const id = pendingId(sender, offer.streamId)
    const held = this.offers.get(id)
    if (held) return held
    const fromSender = [...this.offers.values()].filter((p) => p.sender === sender).length
    if (fromSender >= this.limits.perSender) throw new BorgError('refused', `pending: this node already holds ${fromSender} offers from this key for its owner to accept (at most ${this.limits.perSender})`)
    if (this.offers.size >= this.limits.max) throw new BorgError('refused', `pending: this node already holds ${this.offers.size} offers for its owner to accept (at most ${this.limits.max}); try again later`)
    const now = this.clock.now()
    const pending: PendingOffer = { id, sender, offer, arrivedAt: now, expiresAt: now + this.limits.ttlMs }
    this.offers.set(id, pending)
    return pending
  }

  get(id: string): PendingOffer | undefined {
    this.expire()
    return this.offers.get(id)
  }

  take(id: string): PendingOffer | undefined {
    const held = this.get(id)
    this.offers.delete(id)
    return held
  }

  /** Drop every offer from one key (its key was denied); how many went. */
  dropFrom(sender: string): number {
    let dropped = 0
    for (const [id, p] of this.offers) if (p.sender === sender && this.offers.delete(id)) dropped++
    return dropped
  }

  list(): PendingView[] {
    this.expire()
    return [...this.offers.values()].map(({ id, sender, offer, arrivedAt, expiresAt }) => ({
      id,
      sender,
      streamId: offer.streamId,
      size: offer.size,
      ...(offer.name === undefined ? {} : { name: offer.name }),
      endpoint: offer.endpoint,
      arrivedAt,
      expiresAt,
    }))
  }

  private expire(): void {
    const now = this.clock.now()
    for (const [id, p] of this.offers) if (p.expiresAt <= now) this.offers.delete(id)
  }
}
