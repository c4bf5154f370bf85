/**
 * The DStream pull engine: fetch a list of chunks with a window of requests in
 * flight, each one checked by its source (hash and length) before use, failed
 * ones asked again (a source may go to another holder on a later attempt),
 * until every chunk arrived or one failed `attempts` times.
 *
 * Two ways to hand chunks over:
 * - `ordered`: in index order (a pipe, a player); a failed chunk is retried at
 *   once, since everything behind it waits for it;
 * - unordered: as they arrive (writes at offsets in a file); a failed chunk is
 *   asked again after the other missing ones, so a slow one does not stall the rest.
 *
 * Used by the DStream receiver (chunks pulled from the sender), `borg shard
 * get` and fStream (chunks pulled from their holders).
 */
import { BorgError } from '../errors.js'

export interface PullPlan {
  /** Chunk indexes to fetch, in the order they are wanted. */
  indexes: number[]
  /** Requests in flight at once (ordered: chunks fetched ahead of the one being handed over). */
  window: number
  /** Tries per chunk before it counts as lost (a number, or per chunk index: e.g. how many sources it has). */
  attempts: number | ((index: number) => number)
  /** Chunk `index`, checked (or throw); `attempt` counts from 0. */
  fetch(index: number, attempt: number): Promise<Uint8Array>
  /** Takes each chunk: in index order when `ordered`, else as it arrives. */
  deliver(index: number, bytes: Uint8Array): Promise<void> | void
  ordered: boolean
  /** Stop early (e.g. the reader went away): no new requests are made. */
  cancelled?: () => boolean
  /** The error to throw when a chunk failed every attempt. */
  failure?: (index: number, errors: string[]) => BorgError
  /**
   * Unordered only: a chunk that failed every attempt is reported here and the
   * pull carries on with the others (without it, the whole pull fails).
   */
  onLost?: (index: number, errors: string[]) => void
}

function defaultFailure(index: number, errors: string[]): BorgError {
  return new BorgError('unavailable', `chunk ${index} failed ${errors.length} time(s): ${errors.slice(-3).join('; ')}`)
}

export function pullWindow(plan: PullPlan): Promise<void> {
  return plan.ordered ? pullOrdered(plan) : pullUnordered(plan)
}

const attemptsFor = (plan: Pick<PullPlan, 'attempts'>, index: number): number => (typeof plan.attempts === 'number' ? plan.attempts : plan.attempts(index))

/** Every attempt for one chunk, one after another (also what a single-chunk reader wants). */
export async function fetchWithRetries(plan: Pick<PullPlan, 'attempts' | 'fetch' | 'failure'>, index: number): Promise<Uint8Array> {
  const errors: string[] = []
  for (let attempt = 0; attempt < attemptsFor(plan, index); attempt++) {
    try {
      return await plan.fetch(index, attempt)
    } catch (error) {
      errors.push((error as Error).message)
    }
  }
  throw (plan.failure ?? defaultFailure)(index, errors)
}

async function pullOrdered(plan: PullPlan): Promise<void> {
  const { indexes, window } = plan
  const pending = new Map<number, Promise<Uint8Array>>()
  const want = (k: number) => {
    if (k >= indexes.length || pending.has(k)) return
    const p = fetchWithRetries(plan, indexes[k]!)
    p.catch(() => {}) // awaited in its turn; a failure surfaces then
    pending.set(k, p)
  }
  for (let k = 0; k < Math.min(window, indexes.length); k++) want(k)
  for (let k = 0; k < indexes.length; k++) {
    if (plan.cancelled?.()) return
    const bytes = await pending.get(k)!
    pending.delete(k)
    want(k + window)
    await plan.deliver(indexes[k]!, bytes)
  }
}

async function pullUnordered(plan: PullPlan): Promise<void> {
  const queue = [...plan.indexes]
  const tries = new Map<number, string[]>()
  // The first chunk that fails too often stops every worker; each finishes its current request
  // first, so nothing is delivered after the pull has returned.
  let fatal: Error | undefined
  const worker = async () => {
    for (let index = queue.shift(); index !== undefined && !fatal && !plan.cancelled?.(); index = queue.shift()) {
      const errors = tries.get(index) ?? []
      tries.set(index, errors)
      let bytes: Uint8Array
      try {
        bytes = await plan.fetch(index, errors.length)
      } catch (error) {
        errors.push((error as Error).message)
        if (errors.length < attemptsFor(plan, index)) queue.push(index) // asked again later, after the others
        else if (plan.onLost) plan.onLost(index, errors)
        else fatal ??= (plan.failure ?? defaultFailure)(index, errors)
        continue
      }
      try {
        await plan.deliver(index, bytes)
      } catch (error) {
        fatal ??= error as Error // e.g. the disk is full: no point fetching more
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(plan.window, Math.max(1, queue.length)) }, worker))
  if (fatal) throw fatal
}
