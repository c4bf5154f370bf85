/**
 * Checks for JSON message bodies, composable into shapes whose TypeScript type
 * is inferred from the check (`Infer<typeof shape>`). A check returns the value
 * it accepts or throws BorgError('malformed') naming the field; nothing else
 * escapes it. Receivers ignore unknown fields (docs/protocol.md §5): a shape
 * returns only the fields it names, and leaves absent optional ones out.
 */
import { BorgError, type ErrorCode } from '../errors.js'

/** Accepts `value` (found at `at`, e.g. `shard.chunk.get.hash`) or throws. */
export type Check<T> = (value: unknown, at: string) => T
/** A field that may be absent (or null): the shape leaves it out. */
export interface OptionalCheck<T> {
  (value: unknown, at: string): T
  readonly optional: true
}
export type Shape = Record<string, Check<unknown> | OptionalCheck<unknown>>
type Required<S extends Shape> = { [K in keyof S as S[K] extends OptionalCheck<unknown> ? never : K]: S[K] extends Check<infer T> ? T : never }
type Optionals<S extends Shape> = { [K in keyof S as S[K] extends OptionalCheck<unknown> ? K : never]?: S[K] extends OptionalCheck<infer T> ? T : never }
type Flat<T> = { [K in keyof T]: T[K] }
/** The value a shape accepts. */
export type Infer<S extends Shape> = Flat<Required<S> & Optionals<S>>

export function fail(at: string, text: string, code: ErrorCode = 'malformed'): never {
  throw new BorgError(code, `${at} ${text}`)
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

export function object<S extends Shape>(shape: S): Check<Infer<S>> {
  const keys = Object.keys(shape)
  return (value, at) => {
    if (!isRecord(value)) fail(at, 'must be a JSON object')
    const out: Record<string, unknown> = {}
    for (const key of keys) {
      const check = shape[key]!
      const field = value[key]
      if ('optional' in check && (field === undefined || field === null)) continue
      out[key] = check(field, `${at}.${key}`)
    }
    return out as Infer<S>
  }
}

export function optional<T>(check: Check<T>): OptionalCheck<T> {
  const wrapped = (value: unknown, at: string): T => check(value, at)
  return Object.assign(wrapped, { optional: true as const })
}

export interface TextOptions {
  /** Most UTF-16 code units (default 512). */
  max?: number
  /** Fewest (default 1: empty strings are refused unless min is 0). */
  min?: number
  pattern?: RegExp
  /** What the pattern means, for the error ("64 lower-case hex digits"). */
  describe?: string
  /** Error code when the pattern does not match (docs/protocol.md names `invalid-input` for some). */
  code?: ErrorCode
}
export function text(options: TextOptions = {}): Check<string> {
  const { max = 512, min = 1, pattern, describe, code } = options
  return (value, at) => {
    if (typeof value !== 'string') fail(at, 'must be a string')
    if (value.length < min || value.length > max) fail(at, `must be ${min}..${max} characters long`)
    if (pattern && !pattern.test(value)) fail(at, `must be ${describe ?? `like ${pattern}`}`, code)
    return value
  }
}

/** A safe integer in [min, max]. */
export function int(min = 0, max = Number.MAX_SAFE_INTEGER): Check<number> {
  return (value, at) => (Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max ? (value as number) : fail(at, `must be an integer ${min}..${max}`))
}

/** A finite number in [min, max]. */
export function num(min = -Infinity, max = Infinity): Check<number> {
  return (value, at) => (typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max ? value : fail(at, `must be a finite number in [${min}, ${max}]`))
}

export const bool: Check<boolean> = (value, at) => (typeof value === 'boolean' ? value : fail(at, 'must be true or false'))

export function literal<const T extends string | number | boolean>(...allowed: T[]): Check<T> {
  return (value, at) => (allowed.includes(value as T) ? (value as T) : fail(at, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`))
}

export function list<T>(each: Check<T>, max: number, min = 0): Check<T[]> {
  return (value, at) => {
    if (!Array.isArray(value)) fail(at, 'must be a list')
    if (value.length < min || value.length > max) fail(at, `must hold ${min}..${max} items`)
    return value.map((item, i) => each(item, `${at}[${i}]`))
  }
}

/** A map from strings to checked values, at most `max` keys. */
export function record<T>(each: Check<T>, max: number, key: Check<string> = text({ max: 256 })): Check<Record<string, T>> {
  return (value, at) => {
    if (!isRecord(value)) fail(at, 'must be a JSON object')
    const entries = Object.entries(value)
    if (entries.length > max) fail(at, `must hold at most ${max} entries`)
    const out: Record<string, T> = {}
    for (const [k, v] of entries) out[key(k, `${at} key`)] = each(v, `${at}.${k}`)
    return out
  }
}

/** Any JSON value, kept as is (bodies a layer passes through without reading). */
export const json: Check<unknown> = (value) => value

export const HEX = /^(?:[0-9a-f]{2})*$/
/** Lower-case hex of `bytes` bytes (any even length when absent). */
export function hex(bytes?: number, code?: ErrorCode): Check<string> {
  return bytes === undefined
    ? text({ max: 1 << 20, min: 0, pattern: HEX, describe: 'lower-case hex' })
    : text({ max: 1 << 20, min: 0, pattern: new RegExp(`^[0-9a-f]{${2 * bytes}}$`), describe: `${2 * bytes} lower-case hex digits`, code })
}
/** A node id: hex of the algorithm byte and the public key (docs/protocol.md §1). */
export const nodeId = text({ max: 130, min: 2, pattern: HEX, describe: 'a node id in lower-case hex' })
/** A chunk, file or manifest name: SHA-256 in lower-case hex; anything else is `invalid-input` (docs/protocol.md §9.1). */
export const sha256Hex = hex(32, 'invalid-input')
export const base64 = (max = 1 << 20): Check<string> => text({ max, min: 0, pattern: /^[A-Za-z0-9+/]*={0,2}$/, describe: 'base64' })

/** `check` with its refusals carrying `code` (fields a receiver has always refused as, say, `invalid-input`); wrap before `optional`. */
export function refusedAs<T>(code: ErrorCode, check: Check<T>): Check<T> {
  return (value, at) => {
    try {
      return check(value, at)
    } catch (error) {
      throw error instanceof BorgError ? new BorgError(code, error.message) : error
    }
  }
}
