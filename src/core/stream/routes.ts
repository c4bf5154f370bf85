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
import type { Codec } from '../codec/codec.js'
import type { Logger } from '../log.js'
import type { Outgoing } from '../wire/message.js'
import { ANYONE, ownKey, type MessageRouter } from '../messaging/router.js'
import type { Responder, Transport } from '../wire/transport.js'
import type { AllowList } from './consent.js'
import type { StreamIntake } from './intake.js'
import { STREAM_CODECS, STREAM_KIND, packTerms } from './messages.js'
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
  selfEndpoint: () => string
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
    router.on(STREAM_KIND.offer, ANYONE, (m, r) => answer(r, async () => STREAM_CODECS.offerReply.encode(await o.intake.offer(STREAM_CODECS.offer.decode(m), m.fromHex)), false))
    router.on(STREAM_KIND.status, ANYONE, (m, r) =>
      answer(
        r,
        async () => {
          const progress = await o.intake.status(STREAM_CODECS.status.decode(m).streamId, m.fromHex)
          if (!progress) throw new BorgError('not-found', 'no such stream here')
          return STREAM_CODECS.statusReply.encode(progress)
        },
        false,
      ),
    )
  }
  o.net.on(STREAM_KIND.pull, o.sources.rule, (m, r) => r && o.sources.serve(m, r))

  // The owner's commands, signed with the node's own key: detailed errors are fine here.
  const own = ownKey(o.ownId)
  const control = <Q, A>(request: Codec<Q>, reply: Codec<A>, task: (value: Q) => Promise<A>) =>
    o.receptor.on(request.kind, own, (m, r) => answer(r, async () => reply.encode(await task(request.decode(m))), true))
  control(STREAM_CODECS.send, STREAM_CODECS.sendReply, (body) =>
    o.sources.offer(o.transport, { terms: packTerms(body), path: body.path, to: body.to, endpoint: o.selfEndpoint(), timeoutMs: 30_000 }),
  )
  control(STREAM_CODECS.allow, STREAM_CODECS.allowReply, async ({ key }) => {
    const trimmed = key.trim()
    return { key: trimmed, added: await o.allowed.add(trimmed) }
  })
  control(STREAM_CODECS.deny, STREAM_CODECS.denyReply, async ({ key }) => {
    const lower = key.trim().toLowerCase()
    return { key: lower, removed: await o.allowed.remove(lower), pendingDropped: o.pending.dropFrom(lower) }
  })
  control(STREAM_CODECS.pending, STREAM_CODECS.pendingReply, async () => ({ pending: o.intake.list(), allowed: o.allowed.list() }))
  control(STREAM_CODECS.accept, STREAM_CODECS.acceptReply, ({ id }) => o.intake.accept(id))
}
