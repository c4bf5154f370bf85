/**
 * Log lines go to stderr (stdout is for data). Repeated lines with the same key
 * are rate-limited so a peer sending garbage cannot flood the log.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export interface Logger {
  debug(message: string): void
  info(message: string): void
  warn(message: string, rateKey?: string): void
  error(message: string): void
}

export interface LoggerOptions {
  level?: LogLevel
  write?: (line: string) => void
  /** At most this many lines per rate key per minute. */
  perKeyPerMinute?: number
  now?: () => number
}

export function createLogger(component: string, options: LoggerOptions = {}): Logger {
  const envLevel = process.env.BORG_LOG_LEVEL as LogLevel | undefined
  const minimum = RANK[options.level ?? (envLevel && envLevel in RANK ? envLevel : 'info')]
  const write = options.write ?? ((line: string) => void process.stderr.write(line))
  const limit = options.perKeyPerMinute ?? 10
  const now = options.now ?? Date.now
  const windows = new Map<string, { start: number; count: number; suppressed: number }>()

  const emit = (level: LogLevel, message: string, rateKey?: string) => {
    if (RANK[level] < minimum) return
    let suffix = ''
    if (rateKey !== undefined) {
      const t = now()
      let w = windows.get(rateKey)
      if (!w || t - w.start >= 60_000) {
        if (w && w.suppressed > 0) suffix = ` (${w.suppressed} similar lines suppressed)`
        w = { start: t, count: 0, suppressed: 0 }
        windows.set(rateKey, w)
        if (windows.size > 10_000) windows.delete(windows.keys().next().value!)
      }
      if (++w.count > limit) {
        w.suppressed++
        return
      }
    }
    write(`${new Date(now()).toISOString()} ${level} ${component}: ${message}${suffix}\n`)
  }
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m, key) => emit('warn', m, key),
    error: (m) => emit('error', m),
  }
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} }
