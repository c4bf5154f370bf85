/**
 * DStream receiving on a shard cell: takes stream offers (from `borg stream
 * send` or another node), pulls them with the node's transport and keeps the
 * finished files under `<cell data>/streams/received/`.
 */
import { join } from 'node:path'
import { BorgError } from '../../core/errors.js'
import { jsonMessage, readJson } from '../../core/wire/message.js'
import { ANYONE } from '../../core/wire/router.js'
import { StreamReceiver } from '../../core/stream/receiver.js'
import { STREAM_KIND, readOffer } from '../../core/stream/messages.js'
import type { Organ, OrganContext } from '../types.js'

export class StreamOrgan implements Organ {
  readonly name = 'streams'
  readonly receiver: StreamReceiver
  private offers = 0

  constructor(ctx: OrganContext) {
    if (!ctx.dataDir) throw new BorgError('usage', 'the stream organ needs a data directory')
    this.receiver = new StreamReceiver({ dir: join(ctx.dataDir, 'streams'), transport: ctx.transport, log: ctx.log })
    for (const router of [ctx.net, ctx.receptor]) {
      router.on(STREAM_KIND.offer, ANYONE, (m, r) => {
        if (!r) return
        let offer
        try {
          offer = readOffer(m)
        } catch (error) {
          return r.fail('malformed', (error as Error).message)
        }
        this.offers++
        this.receiver.accept(offer, m.fromHex).then(
          (progress) => r.reply(jsonMessage(`${STREAM_KIND.offer}.reply`, progress)),
          (error: Error) => r.fail(error instanceof BorgError ? error.code : 'internal', error.message),
        )
      })
      router.on(STREAM_KIND.status, ANYONE, (m, r) => {
        const { streamId } = readJson<{ streamId?: unknown }>(m)
        const progress = typeof streamId === 'string' ? this.receiver.status(streamId) : undefined
        if (!progress) return r?.fail('not-found', 'no such stream here')
        r?.reply(jsonMessage(`${STREAM_KIND.status}.reply`, progress))
      })
    }
  }

  start(): void {}
  stop(): void {}

  status(): Record<string, unknown> {
    return { offers: this.offers }
  }
}
