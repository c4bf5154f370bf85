/**
 * How an organ answers a request whose handler is asynchronous: once the
 * organ is ready (its store open), run the handler; any failure becomes the
 * request's signed error, never a crash, and an unexpected one is logged.
 */
import { BorgError } from '../errors.js'
import type { Logger } from '../log.js'
import type { Responder } from '../wire/transport.js'

export function answerWhenReady(ready: Promise<void> | undefined, responder: Responder | undefined, task: () => Promise<void>, log: Logger, organ: string): void {
  if (!responder) return // these requests all expect a reply
  ;(ready ?? Promise.resolve())
    .then(task)
    .catch((error) => {
      const e = error instanceof BorgError ? error : new BorgError('internal', (error as Error).message)
      if (!(error instanceof BorgError)) log.error(`${organ}: ${(error as Error).stack ?? error}`)
      responder.fail(e.code, e.message)
    })
}
