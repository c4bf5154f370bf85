/**
 * Keeps a tree's outbox on disk so queued messages survive a restart. Writes
 * are debounced (the outbox can change many times a second) and crash-safe.
 */
import { readFileSync } from 'node:fs'
import { BodyType } from '../wire/message.js'
import type { OutboxPersistence, QueuedMessage } from '../tree/outbox.js'
import { writeFileAtomic } from '../store/atomic-file.js'
import type { Logger } from '../log.js'

interface StoredMessage {
  kind: string
  body: string // base64
  bodyType: number
  queuedAt: number
}

export function outboxFile(path: string, log: Logger, debounceMs = 200): OutboxPersistence & { flush(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined
  let pending: (() => Record<string, QueuedMessage[]>) | undefined
  let writing: Promise<void> = Promise.resolve()

  const write = async () => {
    timer = undefined
    const snapshot = pending?.()
    pending = undefined
    if (!snapshot) return
    const stored: Record<string, StoredMessage[]> = {}
    for (const [destination, items] of Object.entries(snapshot)) {
      stored[destination] = items.map((m) => ({ kind: m.kind, body: Buffer.from(m.body).toString('base64'), bodyType: m.bodyType, queuedAt: m.queuedAt }))
    }
    writing = writing.then(() => writeFileAtomic(path, JSON.stringify(stored))).catch((error) => log.warn(`cannot save the outbox to ${path}: ${(error as Error).message}`, 'outbox-save'))
    await writing
  }

  return {
    load() {
      let text: string
      try {
        text = readFileSync(path, 'utf8')
      } catch {
        return {}
      }
      try {
        const stored = JSON.parse(text) as Record<string, StoredMessage[]>
        const out: Record<string, QueuedMessage[]> = {}
        for (const [destination, items] of Object.entries(stored)) {
          if (!Array.isArray(items)) continue
          out[destination] = items
            .filter((m) => typeof m?.kind === 'string' && typeof m.body === 'string')
            .map((m) => ({ kind: m.kind, body: Buffer.from(m.body, 'base64'), bodyType: m.bodyType === BodyType.json ? BodyType.json : BodyType.binary, queuedAt: Number(m.queuedAt) || 0 }))
        }
        return out
      } catch (error) {
        log.warn(`ignoring an unreadable outbox file ${path}: ${(error as Error).message}`, 'outbox-load')
        return {}
      }
    },
    changed(snapshot) {
      pending = snapshot
      timer ??= setTimeout(() => void write(), debounceMs)
    },
    async flush() {
      if (timer) {
        clearTimeout(timer)
        await write()
      }
      await writing
    },
  }
}
