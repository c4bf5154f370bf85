/**
 * A node's wire endpoint: its key, its certificate, an HTTPS transport bound to
 * a port, and the built-in `wire.*` handlers. The tree and the cells of later
 * milestones register their kinds on the same router.
 */
import { bytesToHex } from '../bytes.js'
import { createLogger, type Logger } from '../log.js'
import { SystemClock } from '../time/system-clock.js'
import { MessageRouter } from '../messaging/router.js'
import { loadOrCreateNodeKey } from '../identity/node-key.js'
import { nodeSigner } from '../identity/signer.js'
import { paths } from '../store/paths.js'
import { loadOrCreateTlsMaterial } from '../net/cert.js'
import { formatEndpoint } from '../net/endpoint.js'
import { HttpsTransport } from '../net/https-transport.js'
import { registerPing } from './ping.js'
import { BORG_VERSION } from '../version.js'

export interface WireNodeOptions {
  home: string
  host: string
  port: number
  advertise?: string[]
  log?: Logger
  maxBodyBytes?: number
}

export interface WireNode {
  nodeId: string
  endpoint: string
  certSha256: string
  transport: HttpsTransport
  router: MessageRouter
  clock: SystemClock
  close(): Promise<void>
}

export async function startWireNode(options: WireNodeOptions): Promise<WireNode> {
  const log = options.log ?? createLogger('node')
  const key = await loadOrCreateNodeKey(options.home)
  const nodeId = bytesToHex(key.id)
  const tls = await loadOrCreateTlsMaterial(paths.tlsDir(options.home), `borg node ${nodeId.slice(0, 16)}`)
  const clock = new SystemClock()
  const router = new MessageRouter()
  registerPing(router, clock, BORG_VERSION)
  const transport = new HttpsTransport({
    signer: nodeSigner(key),
    clock,
    tls,
    log,
    advertise: options.advertise,
    verifier: { acceptKind: (kind) => router.has(kind), maxBodyBytes: options.maxBodyBytes },
  })
  transport.onMessage(router.handle)
  const bound = await transport.listen(options.host, options.port)
  return {
    nodeId,
    endpoint: formatEndpoint(bound),
    certSha256: tls.certSha256,
    transport,
    router,
    clock,
    close: () => transport.close(),
  }
}
