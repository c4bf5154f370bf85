/**
 * Reads one POSTed envelope off a request, under the node's inbound budget
 * and the upload rate floor. Event-driven rather than an async iterator so a
 * refusal (busy, too slow) can stop reading without destroying the socket:
 * the sender still gets the signed error, then the connection is closed.
 */
import type { IncomingMessage } from 'node:http'
import { BorgError } from '../errors.js'
import type { Incoming } from '../wire/message.js'
import type { Clock } from '../wire/clock.js'
import type { EnvelopeHeader } from '../envelope/codec.js'
import { EnvelopeReader } from '../envelope/reader.js'
import type { EnvelopeVerifier } from '../envelope/verifier.js'
import type { BodyAllowance, InboundLimits } from './inbound-budget.js'
import { UploadWatchdog } from './upload-watchdog.js'

export interface InboundBodyOptions {
  verifier: EnvelopeVerifier
  allowance: BodyAllowance
  limits: InboundLimits
  clock: Clock
  /** Counts every byte read off the request. */
  onBytes?: (bytes: number) => void
}

export function readInboundEnvelope(req: IncomingMessage, options: InboundBodyOptions): Promise<{ header: EnvelopeHeader; incoming: Incoming }> {
  return new Promise((resolve, reject) => {
    const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length'])
    let reader: EnvelopeReader
    try {
      reader = new EnvelopeReader(options.verifier, { declaredLength: declared, limits: options.allowance })
    } catch (error) {
      return reject(error)
    }
    let settled = false
    const settle = () => {
      settled = true
      watchdog.stop()
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onBroken)
      req.off('close', onBroken)
    }
    // Whatever stops the body early goes through the reader, which releases the message id's reservation.
    const cut = (error: BorgError) => {
      if (settled) return
      settle()
      try {
        reader.abort(error)
      } catch (refusal) {
        reject(refusal)
      }
    }
    const onData = (chunk: Buffer) => {
      if (settled) return
      watchdog.add(chunk.length)
      options.onBytes?.(chunk.length)
      try {
        reader.push(chunk)
      } catch (error) {
        settle()
        reject(error)
      }
    }
    const onEnd = () => {
      if (settled) return
      settle()
      try {
        resolve(reader.finish())
      } catch (error) {
        reject(error)
      }
    }
    const onBroken = (error?: Error) =>
      cut(new BorgError('unavailable', `connection closed while receiving${error?.message ? `: ${error.message}` : ''}`))
    const { minBytesPerSecond, rateWindowMs } = options.limits
    const watchdog = new UploadWatchdog(options.clock, minBytesPerSecond, rateWindowMs, cut)
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onBroken)
    req.on('close', onBroken)
    watchdog.start()
  })
}
