/**
 * `node.note`: a short text a user sends with `borg node broadcast` (to every
 * node of a cell's tree) or `borg node send` (to one position or node). Each
 * node keeps the last few it received, so the organism's delivery can be seen
 * from outside (`borg node status`) — the multi-process tests rely on it.
 */
import type { Delivery } from '../tree/tree-node.js'
import { NODE_CODECS, NOTE_KIND } from './messages.js'

export { NOTE_KIND } from './messages.js'
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
    let text: string
    try {
      text = NODE_CODECS.note.decode({ kind: NOTE_KIND, body: delivery.body, bodyType: delivery.bodyType }).text
    } catch {
      return // not a note: not counted
    }
    this.received++
    this.recent.push({ text: text.slice(0, 1000), from: delivery.origin, via: delivery.via, bid: delivery.bid, hops: delivery.hops, at })
    if (this.recent.length > KEEP) this.recent.shift()
  }

  snapshot(): { received: number; recent: ReceivedNote[] } {
    return { received: this.received, recent: this.recent.slice(-20) }
  }
}

/** The body of a `node.note` carrying `text` (the tree sends it, as JSON). */
export function noteBody(text: string): Uint8Array {
  return NODE_CODECS.note.encode({ text }).body!
}
