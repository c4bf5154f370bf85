/**
 * DStream nodes in the test's own process, over real HTTPS on 127.0.0.1: a
 * transport with the stream kinds a shard cell registers (src/core/stream/
 * routes.ts), the shard members it trusts given by the test, and an "owner"
 * client signed with the node's own key (what `borg stream …` uses).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AllowList, Consent } from '../../src/core/stream/consent.js'
import { StreamIntake } from '../../src/core/stream/intake.js'
import { PendingOffers, type PendingLimits } from '../../src/core/stream/pending.js'
import type { StreamLimits } from '../../src/core/stream/quota.js'
import { StreamReceiver } from '../../src/core/stream/receiver.js'
import { registerStreamRoutes } from '../../src/core/stream/routes.js'
import type { LocalSender } from '../../src/core/stream/sender.js'
import { StreamSources } from '../../src/core/stream/sources.js'
import { silentLogger, type Logger } from '../../src/core/log.js'
import { HttpsTransport } from '../../src/core/net/https-transport.js'
import type { Member } from '../../src/core/tree/types.js'
import { type Clock } from '../../src/core/wire/clock.js'
import { SystemClock } from '../../src/core/time/system-clock.js'
import { jsonMessage, readJson } from '../helpers/json-messages.js'
import { ANYONE, MessageRouter } from '../../src/core/messaging/router.js'
import { request } from '../../src/core/messaging/requests.js'
import type { Transport } from '../../src/core/wire/transport.js'
import { startNode } from '../helpers/wire.js'

export interface StreamNodeOptions {
  /** The shard members this node knows (asked at each offer). */
  members?: () => Member[]
  dir?: string
  clock?: Clock
  limits?: Partial<StreamLimits>
  pendingLimits?: PendingLimits
  freeDisk?: (dir: string) => Promise<number>
  ownerIdentity?: string
  log?: Logger
  /** Wrap the transport the receiver pulls with (to fail or tamper with pulls). */
  pullTransport?: (t: Transport) => Transport
  attempts?: number
}

const cleanups: (() => Promise<void>)[] = []

/** Close every node and remove every directory the harness made. */
export async function closeAll(): Promise<void> {
  for (const c of cleanups.splice(0)) await c().catch(() => {})
}

export async function tempDir(prefix = 'borg-stream-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  return dir
}

export async function streamNode(options: StreamNodeOptions = {}) {
  const node = await startNode()
  cleanups.push(() => node.transport.close())
  const dir = options.dir ?? (await tempDir())
  const clock = options.clock ?? new SystemClock()
  const log = options.log ?? silentLogger
  const members = options.members ?? (() => [])
  const receiver = new StreamReceiver({
    dir,
    transport: options.pullTransport ? options.pullTransport(node.transport) : node.transport,
    log,
    clock,
    limits: options.limits,
    freeDisk: options.freeDisk,
    timeoutMs: 3000,
    attempts: options.attempts ?? 3,
  })
  const allowed = new AllowList(dir, log)
  const pending = new PendingOffers(clock, options.pendingLimits)
  const sources = new StreamSources(clock, log)
  const consent = new Consent(node.id, async () => options.ownerIdentity, allowed)
  const intake = new StreamIntake({ receiver, pending, consent, memberAt: async (endpoint) => members().find((m) => m.endpoint === endpoint), log })
  const opened = Promise.all([receiver.open(), allowed.open()]).then(() => undefined)
  const net = new MessageRouter()
  const receptor = new MessageRouter()
  registerStreamRoutes({ net, receptor, ownId: node.id, intake, sources, allowed, pending, transport: node.transport, selfEndpoint: () => node.endpoint, ready: () => opened, log })
  // Every organism node answers this on each port; a sending node asks it to learn who it offers to.
  net.on('node.directory', ANYONE, (_m, r) => r?.reply(jsonMessage('node.directory.reply', { nodeId: node.id, cells: {} })))
  node.transport.onMessage((m, r) => (receptor.has(m.kind) && !net.has(m.kind) ? receptor : net).handle(m, r))
  await opened
  // The owner's commands: signed with the node's own key, like `borg stream …` run from its home.
  const ownerTransport = new HttpsTransport({ signer: node.signer, log: silentLogger })
  cleanups.push(() => ownerTransport.close())
  const owner: LocalSender = {
    control: async <T,>(kind: string, body: Record<string, unknown>) => readJson<T>(await request(ownerTransport, { endpoint: node.endpoint, id: node.id }, jsonMessage(kind, body), 30_000)),
    transport: ownerTransport,
  }
  const member: Member = { id: node.id, endpoint: node.endpoint }
  return { node, dir, receiver, intake, pending, allowed, sources, owner, member, clock }
}

export type StreamNode = Awaited<ReturnType<typeof streamNode>>
