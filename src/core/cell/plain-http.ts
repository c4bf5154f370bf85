/**
 * Plain HTTP GET and HEAD as an organ sees it (for players and browsers, which
 * speak no envelopes), with no platform types: the node runtime adapts its
 * HTTPS server to it (src/core/net/plain-http-node.ts), and another server or
 * a test can as well.
 */
export interface PlainRequest {
  readonly method: string
  /** The raw request target: path and query, as sent (not normalised). */
  readonly url: string
  /** A request header by lower-case name. */
  header(name: string): string | undefined
}

export interface PlainResponse {
  /** The status line and headers are out: a different answer is no longer possible. */
  readonly headersSent: boolean
  /** The client went away, or the response ended. */
  readonly closed: boolean
  head(status: number, headers: Record<string, string | number>): void
  /** Resolves when more may be written, or the client went away (check `closed`). */
  write(bytes: Uint8Array): Promise<void>
  end(text?: string): void
  /** Cut the response short: the client sees a failure rather than a wrong body. */
  abort(error?: Error): void
  onClose(fn: () => void): void
}

export type PlainGetHandler = (req: PlainRequest, res: PlainResponse) => void | Promise<void>
