/**
 * Opening a kept connection (a link, §4.5; a relay tunnel, §4.6): a TLS
 * connection whose certificate the caller checks against its pin, and the
 * HTTP upgrade's answer read by hand up to the first envelope.
 */
import { connect, type TLSSocket } from 'node:tls'
import { BorgError } from '../errors.js'
import { parseHeader } from '../envelope/codec.js'
import { parseEndpoint } from './endpoint.js'
import { TlsPinError, peerCertificateSha256, type Pin } from './pins.js'

/** Bytes of HTTP response head read before the kept connection starts. */
const MAX_HEAD_BYTES = 8 * 1024

/** A TLS connection to `endpoint` that presents the pinned certificate (else TlsPinError, the socket closed), Nagle off. */
export async function connectPinned(endpoint: string, pin: Pin, timeoutMs: number): Promise<TLSSocket> {
  const { host, port } = parseEndpoint(endpoint)
  const socket = await connectTls(host, port, timeoutMs)
  const presented = peerCertificateSha256(socket)
  if (presented !== pin.certSha256) {
    socket.destroy()
    throw new TlsPinError(endpoint, presented, pin.certSha256)
  }
  socket.setNoDelay(true)
  return socket
}

export function connectTls(host: string, port: number, timeoutMs: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    // Chain validation is off (self-signed certificates): the pin, checked by the caller, is the trust decision.
    // No session resumption, so every connection presents its certificate.
    const socket = connect({ host, port, rejectUnauthorized: false })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(Object.assign(new Error(`connect to ${host}:${port} timed out`), { code: 'UND_ERR_CONNECT_TIMEOUT' }))
    }, timeoutMs)
    socket.once('secureConnect', () => {
      clearTimeout(timer)
      socket.removeListener('error', onError)
      resolve(socket)
    })
    const onError = (error: Error) => {
      clearTimeout(timer)
      reject(error)
    }
    socket.once('error', onError)
  })
}

/** The upgrade's HTTP status, and after a 101 the first envelope (the acceptance), whole, and any bytes that came after it. */
export function readHandshake(socket: TLSSocket, timeoutMs: number, maxEnvelopeBytes: number, what: string): Promise<{ status: number; envelope: Uint8Array; rest: Uint8Array }> {
  return new Promise((resolve, reject) => {
    let buffered: Buffer = Buffer.alloc(0)
    let status: number | undefined
    const finish = (error: Error | undefined, result?: { status: number; envelope: Uint8Array; rest: Uint8Array }) => {
      clearTimeout(timer)
      socket.off('data', onData)
      socket.off('error', onError)
      socket.off('close', onClose)
      if (error) reject(error)
      else resolve(result!)
    }
    const onData = (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk])
      try {
        if (status === undefined) {
          const end = buffered.indexOf('\r\n\r\n')
          if (end < 0) {
            if (buffered.length > MAX_HEAD_BYTES) throw new BorgError('bad-reply', `${what} upgrade answered with an oversized HTTP head`)
            return
          }
          const line = /^HTTP\/1\.[01] (\d{3})/.exec(buffered.subarray(0, end).toString('latin1'))
          if (!line) throw new BorgError('bad-reply', `${what} upgrade answered with something that is not HTTP`)
          status = Number(line[1])
          if (status !== 101) return finish(undefined, { status, envelope: new Uint8Array(0), rest: new Uint8Array(0) })
          buffered = buffered.subarray(end + 4)
        }
        if (buffered.length === 0) return
        const parsed = parseHeader(buffered)
        if (parsed.status === 'incomplete') return
        const total = parsed.headerLength + parsed.header.bodyLength
        if (total > maxEnvelopeBytes) throw new BorgError('bad-reply', `${what} acceptance of ${total} bytes`)
        if (buffered.length < total) return
        finish(undefined, { status, envelope: new Uint8Array(buffered.subarray(0, total)), rest: new Uint8Array(buffered.subarray(total)) })
      } catch (error) {
        finish(error as Error)
      }
    }
    const onError = (error: Error) => finish(error)
    const onClose = () => finish(new BorgError('unavailable', `connection closed during the ${what} upgrade`))
    const timer = setTimeout(() => finish(new BorgError('timeout', `${what} upgrade not answered within ${Math.round(timeoutMs)} ms`)), timeoutMs)
    socket.on('data', onData)
    socket.on('error', onError)
    socket.on('close', onClose)
  })
}
