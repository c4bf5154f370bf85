/**
 * Messages that could not be delivered yet, per destination ("pos:<n>" for a
 * tree position, "node:<id>" for a node). Flushed when the destination is heard
 * from again or its position is filled by another node. Bounded per destination
 * and in total; an overflow drops the oldest message and is counted and
 * reported, never silent. A persistence hook lets a real node keep the queue
 * across restarts.
 */
import { BodyType } from '../wire/message.js'
import type { Logger } from '../log.js'

export interface QueuedMessage {
  kind: string
  body: Uint8Array
  bodyType: BodyType
  queuedAt: number
}

export interface OutboxPersistence {
  load(): Record<string, QueuedMessage[]>
  /** Called after every change; implementations debounce. */
  changed(snapshot: () => Record<string, QueuedMessage[]>): void
}

export class Outbox {
  /** Allocated with the first queued message: most nodes never queue anything. */
  private queueMap?: Map<string, QueuedMessage[]>
  private get queues(): Map<string, QueuedMessage[]> {
    return (this.queueMap ??= new Map())
  }
  private total = 0
  overflowed = 0

  constructor(
    private readonly perDestination: number,
    private readonly maxTotal: number,
    private readonly persistence?: OutboxPersistence,
    /** Where an overflow is reported (a logger, not a callback: no closure per node). */
    private readonly log?: Pick<Logger, 'warn'>,
  ) {
    for (const [destination, items] of Object.entries(persistence?.load() ?? {})) {
      for (const item of items) this.push(destination, item)
    }
  }

  get depth(): number {
    return this.total
  }

  depthOf(destination: string): number {
    return this.queueMap?.get(destination)?.length ?? 0
  }

  destinations(): string[] {
    return this.queueMap ? [...this.queueMap.keys()] : []
  }

  byDestination(): Record<string, number> {
    return this.queueMap ? Object.fromEntries([...this.queueMap].map(([d, q]) => [d, q.length])) : {}
  }

  enqueue(destination: string, message: QueuedMessage): void {
    this.push(destination, message)
    this.persistence?.changed(() => this.snapshot())
  }

  /** Remove and return everything queued for a destination. */
  take(destination: string): QueuedMessage[] {
    const items = this.queueMap?.get(destination)
    if (!items) return []
    this.queues.delete(destination)
    this.total -= items.length
    this.persistence?.changed(() => this.snapshot())
    return items
  }

  /** Drop a destination that no longer exists (e.g. a position beyond the tree's end). */
  discard(destination: string): number {
    return this.take(destination).length
  }

  snapshot(): Record<string, QueuedMessage[]> {
    return this.queueMap ? Object.fromEntries(this.queueMap) : {}
  }

  private push(destination: string, message: QueuedMessage): void {
    let queue = this.queues.get(destination)
    if (!queue) this.queues.set(destination, (queue = []))
    queue.push(message)
    this.total++
    if (queue.length > this.perDestination) this.dropOldest(destination, queue)
    while (this.total > this.maxTotal) {
      const [fullest, q] = [...this.queues].reduce((a, b) => (b[1].length > a[1].length ? b : a))
      this.dropOldest(fullest, q)
    }
  }

  private dropOldest(destination: string, queue: QueuedMessage[]): void {
    queue.shift()
    this.total--
    this.overflowed++
    if (queue.length === 0) this.queues.delete(destination)
    this.log?.warn(`outbox for ${destination} overflowed: oldest message dropped (${this.overflowed} so far)`, 'outbox-overflow')
  }
}

export const positionDestination = (position: number): string => `pos:${position}`
export const nodeDestination = (id: string): string => `node:${id}`
