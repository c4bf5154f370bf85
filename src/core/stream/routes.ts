/**
 * The `stream.*` kinds a node answers, each with its sender rule
 * (docs/protocol.md §9.7):
 *
 * | kind | ports | who may send it |
 * |---|---|---|
 * | `stream.offer`, `stream.status` | net, receptor | anyone (the intake decides: owner's keys admitted, others held pending; status only to the offerer and the owner) |
 * | `stream.pull` | net | a node this node offered a stream to |
 * | `stream.send`, `.allow`, `.deny`, `.pending`, `.accept` | receptor | this node's own key |
 *
 * Answers to other nodes never carry what this node did not mean to say: an
 * unexpected failure is logged and answered `internal` with no detail.
 */
import { BorgError } from '../errors.js'
import type { Logger } from '../log.js'
import { jsonMessage, readObject, type Incoming, type Outgoing } from '../wire/message.js'
import { ANYONE, ownKey, type MessageRouter } from '../wire/router.js'
import type { Responder, Transport } from '../wire/transport.js'
import type { AllowList } from './consent.js'
import type { StreamIntake } from './intake.js'
import { STREAM_KIND, readOffer, readSendRequest } from './messages.js'
import type { PendingOffers } from './pending.js'
import type { StreamSources } from './sources.js'

export interface StreamRoutes {
  net: MessageRouter
  receptor: MessageRouter
  ownId: string
  intake: StreamIntake
  sources: StreamSources
  allowed: AllowList
  pending: PendingOffers
  /** Sends this node's offers. */
  transport: Transport
  /** This node's shard-cell net endpoint: where receivers pull from. */
  selfEndpoint: string
  /** Resolves once the stores are open (requests wait for it). */
  ready: () => Promise<void> | undefined
  log: Logger
}

export function registerStreamRoutes(o: StreamRoutes): void {
  const answer = (r: Responder | undefined, task: () => Promise<Outgoing>, detailed: boolean) => {
    if (!r) return
    ;(o.ready() ?? Promise.resolve())
      .then(task)
      .then(
        (reply) => r.reply(reply),
        (error: unknown) => {
          if (error instanceof BorgError) return r.fail(error.code, error.message)
          o.log.error(`streams: ${(error as Error).stack ?? error}`)
          r.fail('internal', detailed ? (error as Error).message : 'this node could not answer')
        },
      )
  }

  for (const router of [o.net, o.receptor]) {
    router.on(STREAM_KIND.offer, ANYONE, (m, r) => answer(r, async () => jsonMessage(`${STREAM_KIND.offer}.reply`, await o.intake.offer(readOffer(m), m.fromHex)), false))
    router.on(STREAM_KIND.status, ANYONE, (m, r) =>
      answer(
        r,
        async () => {
          const { streamId } = readObject(m)
          const progress = typeof streamId === 'string' ? await o.intake.status(streamId, m.fromHex) : undefined
          if (!progress) throw new BorgError('not-found', 'no such stream here')
          return jsonMessage(`${STREAM_KIND.status}.reply`, progress)
        },
        false,
      ),
    )
  }
  o.net.on(STREAM_KIND.pull, o.sources.rule, (m, r) => r && o.sources.serve(m, r))

  // The owner's commands, signed with the node's own key: detailed errors are fine here.
  const own = ownKey(o.ownId)
  const control = (kind: string, task: (m: Incoming) => Promise<unknown>) => o.receptor.on(kind, own, (m, r) => answer(r, async () => jsonMessage(`${kind}.reply`, await task(m)), true))
  control(STREAM_KIND.send, (m) => o.sources.offer(o.transport, { ...readSendRequest(m), endpoint: o.selfEndpoint, timeoutMs: 30_000 }))
  control(STREAM_KIND.allow, async (m) => {
    const key = keyOf(m)
    return { key, added: await o.allowed.add(key) }
  })
  control(STREAM_KIND.deny, async (m) => {
    const key = keyOf(m).toLowerCase()
    return { key, removed: await o.allowed.remove(key), pendingDropped: o.pending.dropFrom(key) }
  })
  control(STREAM_KIND.pending, async () => ({ pending: o.intake.list(), allowed: o.allowed.list() }))
  control(STREAM_KIND.accept, async (m) => {
    const { id } = readObject(m)
    if (typeof id !== 'string' || !/^[0-9a-f]{16}$/.test(id)) throw new BorgError('invalid-input', 'id must be the 16 hex digits "borg stream pending" shows')
    return o.intake.accept(id)
  })
}

function keyOf(m: Incoming): string {
  const { key } = readObject(m)
  if (typeof key !== 'string') throw new BorgError('invalid-input', 'key must be a key id in hex')
  return key.trim()
}
