/**
 * Reproducing a failed simulation: every run derives from one seed, tests pick
 * a fixed default, BORG_SIM_SEED overrides it, and a failure is re-thrown with
 * the seed (and the end of the trace) in its message.
 */
import type { Seed } from './seeded-random.js'
import type { Simulator } from './simulator.js'

export const SEED_ENV = 'BORG_SIM_SEED'

/** The seed to use: BORG_SIM_SEED when set (numeric text becomes a number), else `fallback`. */
export function simSeed(fallback: number | string): number | string {
  const text = process.env[SEED_ENV]
  if (text === undefined || text === '') return fallback
  return /^-?\d+$/.test(text) ? Number(text) : text
}

export function formatSeed(seed: Seed): string {
  return typeof seed === 'number' ? String(seed) : typeof seed === 'string' ? JSON.stringify(seed) : `[${seed.join(', ')}]`
}

/** Text to append to a failure: how to replay it, and what the simulator did last. */
export function replayHint(seed: Seed, sim?: Simulator, traceLines = 30): string {
  const lines = [`[sim] seed ${formatSeed(seed)}; replay with ${SEED_ENV}=${typeof seed === 'string' ? seed : formatSeed(seed)}`]
  if (sim !== undefined) {
    lines.push(`[sim] at t=+${sim.elapsed} ms after ${sim.metrics.events} events, digest ${sim.digest}`)
    const tail = sim.trace?.tail(traceLines)
    if (tail !== undefined && tail.length > 0) lines.push(`[sim] last ${tail.length} trace lines:`, ...tail.map((l) => `  ${l}`))
  }
  return lines.join('\n')
}

/**
 * Run `body`; when it throws (or its promise rejects), add the replay hint to
 * the error's message, log it, and rethrow.
 */
export function withSeedOnFailure<T>(seed: Seed, body: () => T, sim?: () => Simulator | undefined): T {
  const annotate = (error: unknown): never => {
    const hint = replayHint(seed, sim?.())
    console.error(hint)
    if (error instanceof Error) error.message = `${error.message}\n${hint}`
    throw error
  }
  let result: T
  try {
    result = body()
  } catch (error) {
    return annotate(error)
  }
  if (result instanceof Promise) return result.catch(annotate) as T
  return result
}
