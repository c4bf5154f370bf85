/** The node:http side of the plain HTTP hook (src/core/cell/plain-http.ts). */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { PlainRequest, PlainResponse } from '../cell/plain-http.js'

export function plainExchange(req: IncomingMessage, res: ServerResponse): [PlainRequest, PlainResponse] {
  let closed = false
  res.once('close', () => (closed = true))
  const request: PlainRequest = {
    method: req.method ?? 'GET',
    url: req.url ?? '',
    header: (name) => {
      const value = req.headers[name.toLowerCase()]
      return Array.isArray(value) ? value.join(', ') : value
    },
  }
  const response: PlainResponse = {
    get headersSent() {
      return res.headersSent
    },
    get closed() {
      return closed || res.writableEnded
    },
    head: (status, headers) => void res.writeHead(status, headers),
    write: (bytes) => (res.write(bytes) || closed ? Promise.resolve() : drained(res)),
    end: (text) => void res.end(text),
    abort: (error) => void res.destroy(error),
    onClose: (fn) => void res.once('close', fn),
  }
  return [request, response]
}

/** The response can take more, or the client went away (one that leaves with a full buffer never drains). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.once('drain', done)
    res.once('close', done)
  })
}
