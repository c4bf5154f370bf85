/**
 * Where a full streaming cell sends a new client (docs/storage.md): to the
 * least loaded other cell that has room, with a hop count in the query so a
 * client is never passed around more than MAX_HOPS times.
 */
import type { CellLoad } from './messages.js'
import { FILES_PATH } from './messages.js'

/** A request that has already been redirected this often is refused rather than sent on. */
export const MAX_HOPS = 3

/**
 * The cell to send a client to: among those below their capacity, the one
 * using the smallest share of it; ties go to the one with more free places,
 * then to the lower url (so every cell that sees the same loads picks the same).
 */
export function chooseRedirect(loads: readonly CellLoad[]): CellLoad | undefined {
  let best: CellLoad | undefined
  for (const load of loads) {
    if (load.clients >= load.capacity) continue
    if (!best || lessLoaded(load, best)) best = load
  }
  return best
}

function lessLoaded(a: CellLoad, b: CellLoad): boolean {
  // clients/capacity compared without division (exact for integers).
  const share = a.clients * b.capacity - b.clients * a.capacity
  if (share !== 0) return share < 0
  const free = a.capacity - a.clients - (b.capacity - b.clients)
  if (free !== 0) return free > 0
  return a.url < b.url
}

/** The hop count of a request's query (`hop=N`); absent or malformed: 0. */
export function hopOf(query: string): number {
  const hop = new URLSearchParams(query).get('hop')
  return hop !== null && /^\d{1,3}$/.test(hop) ? Number(hop) : 0
}

/** The Location of a redirect to `target` for file `id`, `hop` redirects in. */
export function redirectLocation(target: CellLoad, id: string, hop: number): string {
  return `${target.url}${FILES_PATH}${id}?hop=${hop}`
}
