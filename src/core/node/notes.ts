/**
 * `node.note`: a short text a user sends with `borg node broadcast` (to every
 * node of a cell's tree) or `borg node send` (to one position or node). Each
 * node keeps the last few it received, so the organism's delivery can be seen
 * from outside (`borg node status`) — the multi-process tests rely on it.
 */
import { BodyType } from '../wire/message.js'
import type { Delivery } from '../tree/tree-node.js'

export const NOTE_KIND = 'node.note'
const KEEP = 100

export interface ReceivedNote {
  text: string
  from: string
  via: 'broadcast' | 'direct'
  bid?: string
  /** Broadcasts: links the copy crossed from its origin. */
  hops?: number
  at: number
}

export class NoteLog {
  private readonly recent: ReceivedNote[] = []
  received = 0

  record(delivery: Delivery, at: number): void {
    if (delivery.bodyType !== BodyType.json) return
    let text: unknown
    try {
      text = JSON.parse(Buffer.from(delivery.body).toString('utf8')).text
    } catch {
      return
    }
    if (typeof text !== 'string') return
    this.received++
    this.recent.push({ text: text.slice(0, 1000), from: delivery.origin, via: delivery.via, bid: delivery.bid, hops: delivery.hops, at })
    if (this.recent.length > KEEP) this.recent.shift()
  }

  snapshot(): { received: number; recent: ReceivedNote[] } {
    return { received: this.received, recent: this.recent.slice(-20) }
  }
}

export function noteBody(text: string): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ text }))
}
