/**
 * The one way tests wait for something to happen: poll a reading until it is
 * what the test needs, or fail saying what was awaited and what was seen last.
 *
 * The deadline is measured generously, because the machine may be busy: it
 * counts only once the reading has been taken at least `minReadings` times
 * (a starved process that got to look only once or twice has not really
 * waited), and a reading that started before the deadline is always judged.
 */
import { inspect } from 'node:util'

export interface WaitOptions {
  /** Give up after this long (ms of wall time, counted as above). Default 20 s. */
  timeoutMs?: number
  /** Pause between readings, ms. Default 100. */
  stepMs?: number
  /** Readings taken before the deadline may count. Default 5. */
  minReadings?: number
}

export interface Waited<T> {
  value: T
  /** How long it took, ms. */
  ms: number
  readings: number
}

type Reading<T> = () => T | Promise<T>

/**
 * Read until `done(value)` holds, e.g.
 * `await waitUntil('five-node trees', () => sizes(), (s) => s.every((n) => n === 5))`.
 * A reading that throws counts as not done; its error is reported if the wait fails.
 */
export async function waitUntil<T>(what: string, read: Reading<T>, done: (value: T) => boolean, options: WaitOptions = {}): Promise<Waited<T>> {
  const { timeoutMs = 20_000, stepMs = 100, minReadings = 5 } = options
  const start = Date.now()
  let readings = 0
  let last: { value: T } | undefined
  let lastError: unknown
  for (;;) {
    const startedAt = Date.now()
    try {
      const value = await read()
      last = { value }
      lastError = undefined
      if (done(value)) return { value, ms: Date.now() - start, readings: readings + 1 }
    } catch (error) {
      lastError = error
    }
    readings++
    if (startedAt - start >= timeoutMs && readings >= minReadings) break
    await new Promise((resolve) => setTimeout(resolve, stepMs))
  }
  const seen = last ? `last seen: ${inspect(last.value, { depth: 4, breakLength: Infinity, maxArrayLength: 20 })}` : 'nothing was read'
  const failed = lastError ? `; the last reading failed: ${(lastError as Error).message ?? lastError}` : ''
  throw new Error(`timed out after ${Date.now() - start} ms (${readings} readings) waiting for ${what}; ${seen}${failed}`)
}

/** Wait until `probe` returns something (not undefined): the shape of the process tests' probes (polled every 500 ms by default: each may start processes). */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs?: number, stepMs = 500): Promise<Waited<T>> {
  const waited = await waitUntil(what, probe, (value) => value !== undefined, { timeoutMs, stepMs })
  return waited as Waited<T>
}
