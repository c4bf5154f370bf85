import { generateTlsMaterial, type TlsMaterial } from '../../src/core/net/cert.js'
import { HttpsTransport, type HttpsTransportOptions } from '../../src/core/net/https-transport.js'
import { formatEndpoint } from '../../src/core/net/endpoint.js'
import { silentLogger } from '../../src/core/log.js'
import { testSigner } from './keys.js'

let sharedTls: Promise<TlsMaterial> | undefined

/** A listening HTTPS node on 127.0.0.1 with a fresh key. */
export async function startNode(options: Partial<HttpsTransportOptions> & { freshTls?: boolean } = {}) {
  const signer = testSigner()
  const tls = options.tls ?? (options.freshTls ? await generateTlsMaterial('test') : await (sharedTls ??= generateTlsMaterial('test')))
  const transport = new HttpsTransport({ log: silentLogger, ...options, signer, tls })
  const bound = await transport.listen('127.0.0.1', 0)
  return { signer, tls, transport, endpoint: formatEndpoint(bound), id: transport.localId }
}

/** A client-only transport (does not listen), like the CLI. */
export function startClient(options: Partial<HttpsTransportOptions> = {}) {
  const signer = testSigner()
  const transport = new HttpsTransport({ log: silentLogger, ...options, signer })
  return { signer, transport, id: transport.localId }
}
