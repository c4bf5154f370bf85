/**
 * The mailbox's front door against floods (docs/mail.md "Spam and abuse"):
 * token buckets per sender key and per source address, refilled continuously
 * on the injected clock. A source over its budget still gets mail through
 * from *light* senders (keys that sent only a few wraps in the last minute,
 * up to a bound per source and minute), so one flooding program on a shared
 * address does not silence everyone else behind it. Bounded: at most
 * MAX_TRACKED keys and sources are remembered; the least recently seen go.
 */
export interface RateLimitOptions {
  perSenderPerMinute: number
  perSourcePerMinute: number
  /** A sender with fewer wraps than this in the last minute is light. */
  lightBelow: number
  /** Light senders let through per source and minute past its budget. */
  lightPerSourcePerMinute: number
}

export const DEFAULT_RATE_LIMITS: RateLimitOptions = { perSenderPerMinute: 60, perSourcePerMinute: 1_200, lightBelow: 5, lightPerSourcePerMinute: 120 }

const MAX_TRACKED = 10_000
const MINUTE = 60_000

class Bucket {
  tokens: number
  at: number
  constructor(
    readonly perMinute: number,
    now: number,
  ) {
    this.tokens = Math.max(1, perMinute / 3) // a burst of a third of a minute's budget
    this.at = now
  }
  take(now: number): boolean {
    this.tokens = Math.min(Math.max(1, this.perMinute / 3), this.tokens + ((now - this.at) * this.perMinute) / MINUTE)
    this.at = now
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}

/** Recent counts in a one-minute window (two half-windows). */
class Recent {
  private current = 0
  private previous = 0
  private start: number
  constructor(now: number) {
    this.start = now
  }
  add(now: number): number {
    if (now - this.start >= MINUTE) {
      this.previous = now - this.start >= 2 * MINUTE ? 0 : this.current
      this.current = 0
      this.start = now
    }
    return ++this.current + this.previous
  }
}

function lru<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key)
  if (value === undefined) {
    value = make()
    if (map.size >= MAX_TRACKED) map.delete(map.keys().next().value!)
  } else map.delete(key)
  map.set(key, value)
  return value
}

export type Verdict = 'ok' | 'sender' | 'source'

export class RateLimits {
  private readonly senders = new Map<string, { bucket: Bucket; recent: Recent }>()
  private readonly sources = new Map<string, { bucket: Bucket; light: Bucket }>()
  readonly throttled = { sender: 0, source: 0 }

  constructor(
    readonly options: RateLimitOptions = DEFAULT_RATE_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether one wrap from `sender` (key id hex) at `source` (address) may be taken now. */
  admit(sender: string, source: string | undefined): Verdict {
    const now = this.now()
    const s = lru(this.senders, sender, () => ({ bucket: new Bucket(this.options.perSenderPerMinute, now), recent: new Recent(now) }))
    const recent = s.recent.add(now)
    if (!s.bucket.take(now)) {
      this.throttled.sender++
      return 'sender'
    }
    if (source === undefined) return 'ok'
    const src = lru(this.sources, source, () => ({ bucket: new Bucket(this.options.perSourcePerMinute, now), light: new Bucket(this.options.lightPerSourcePerMinute, now) }))
    if (src.bucket.take(now)) return 'ok'
    if (recent <= this.options.lightBelow && src.light.take(now)) return 'ok'
    this.throttled.source++
    return 'source'
  }
}
