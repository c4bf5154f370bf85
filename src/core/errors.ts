/**
 * One error type for the whole code base. `code` is a stable, machine-readable
 * string (it travels on the wire and in `--json` output); the CLI maps each
 * code to a documented process exit status (see docs/cli.md).
 */
export type ErrorCode =
  // input and usage
  | 'usage'
  | 'invalid-input'
  | 'not-found'
  | 'exists'
  // the wire: envelope rejections (docs/protocol.md §Rejections)
  | 'malformed'
  | 'unsupported-version'
  | 'bad-signature'
  | 'body-hash-mismatch'
  | 'expired'
  | 'from-future'
  | 'replay'
  | 'too-large'
  | 'wrong-recipient'
  | 'unknown-kind'
  | 'bad-reply'
  // transport and trust
  | 'timeout'
  | 'unavailable'
  | 'busy'
  | 'tls-pin'
  | 'identity-mismatch'
  // keys
  | 'wrong-passphrase'
  | 'corrupt-keystore'
  | 'refused'
  | 'internal'

/** Process exit statuses; the table is documented in README.md and docs/cli.md. */
export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  notFound: 3,
  unavailable: 4,
  verificationFailed: 5,
  exists: 6,
  refused: 7,
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

const EXIT_BY_CODE: Record<ErrorCode, ExitCode> = {
  usage: ExitCode.usage,
  'invalid-input': ExitCode.usage,
  'not-found': ExitCode.notFound,
  exists: ExitCode.exists,
  malformed: ExitCode.verificationFailed,
  'unsupported-version': ExitCode.verificationFailed,
  'bad-signature': ExitCode.verificationFailed,
  'body-hash-mismatch': ExitCode.verificationFailed,
  expired: ExitCode.verificationFailed,
  'from-future': ExitCode.verificationFailed,
  replay: ExitCode.verificationFailed,
  'too-large': ExitCode.refused,
  'wrong-recipient': ExitCode.verificationFailed,
  'unknown-kind': ExitCode.refused,
  'bad-reply': ExitCode.verificationFailed,
  timeout: ExitCode.unavailable,
  unavailable: ExitCode.unavailable,
  busy: ExitCode.unavailable,
  'tls-pin': ExitCode.verificationFailed,
  'identity-mismatch': ExitCode.verificationFailed,
  'wrong-passphrase': ExitCode.verificationFailed,
  'corrupt-keystore': ExitCode.verificationFailed,
  refused: ExitCode.refused,
  internal: ExitCode.internal,
}

/** Whether retrying the same operation later (or elsewhere) may succeed. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['timeout', 'unavailable', 'busy'])

export class BorgError extends Error {
  readonly code: ErrorCode
  readonly details?: Record<string, unknown>

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'BorgError'
    this.code = code
    this.details = options?.details
  }

  get exitCode(): ExitCode {
    return EXIT_BY_CODE[this.code]
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.code)
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message }
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(EXIT_BY_CODE, value)
}

export function exitCodeFor(code: ErrorCode): ExitCode {
  return EXIT_BY_CODE[code]
}
