/**
 * Confirmations for what cannot be undone (value transfers, removals): the
 * conduit parses the request itself, renders what it will do in its own
 * words, and does it only when the same page answers with the confirmation's
 * id — once, within two minutes. What the page showed the person is the
 * conduit's text, never the page's own description of the request.
 */
import { randomBytes } from 'node:crypto'
import { BorgError } from '../core/errors.js'

export const CONFIRM_TTL_MS = 120_000
/** Confirmations waiting at most (a page asking for more gets the oldest dropped). */
export const MAX_PENDING = 32

export interface Confirmation {
  id: string
  /** What will happen, as the conduit understood the request (shown verbatim by the page). */
  summary: string
  /** The same facts, for programs. */
  details: Record<string, string>
  expiresAt: number
}

interface Pending<T> {
  confirmation: Confirmation
  run: () => Promise<T>
}

export class Confirmations {
  private readonly pending = new Map<string, Pending<unknown>>()

  constructor(private readonly now: () => number = Date.now) {}

  /** Hold `run` until confirmed; the confirmation to show. */
  ask<T>(summary: string, details: Record<string, string>, run: () => Promise<T>): Confirmation {
    this.sweep()
    while (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value!)
    const confirmation: Confirmation = { id: randomBytes(16).toString('hex'), summary, details, expiresAt: this.now() + CONFIRM_TTL_MS }
    this.pending.set(confirmation.id, { confirmation, run })
    return confirmation
  }

  /** Do what confirmation `id` described; each id works once. */
  async confirm(id: unknown): Promise<unknown> {
    this.sweep()
    const entry = typeof id === 'string' ? this.pending.get(id) : undefined
    if (!entry) throw new BorgError('not-found', 'no such confirmation waiting (each works once, within two minutes): ask again')
    this.pending.delete(id as string)
    return entry.run()
  }

  cancel(id: unknown): boolean {
    return typeof id === 'string' && this.pending.delete(id)
  }

  private sweep(): void {
    const now = this.now()
    for (const [id, p] of this.pending) if (p.confirmation.expiresAt <= now) this.pending.delete(id)
  }
}
