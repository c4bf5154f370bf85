/**
 * The fstream cell's messages and media route (docs/protocol.md §9.8). Both
 * messages travel on the cell's net port with JSON bodies.
 */
import type { Incoming } from '../../core/wire/message.js'
import { readObject } from '../../core/wire/message.js'

export const FSTREAM_KIND = {
  members: 'fstream.members',
  load: 'fstream.load',
} as const

/** `GET|HEAD /files/<file id>` on the cell's receptor port. */
export const FILES_PATH = '/files/'

/** What a streaming cell carries: the body of `fstream.load.reply`. */
export interface CellLoad {
  /** Media responses running now. */
  clients: number
  capacity: number
  /** Its receptor, `https://HOST:PORT`: where clients are sent. */
  url: string
}

const URL_PATTERN = /^https:\/\/(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/
const count = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0

/** A `fstream.load.reply`, or undefined when it is not one (a peer's odd answer is skipped, not trusted). */
export function readLoad(reply: Pick<Incoming, 'body' | 'bodyType' | 'kind'>): CellLoad | undefined {
  try {
    const { clients, capacity, url } = readObject(reply)
    if (!count(clients) || !count(capacity) || typeof url !== 'string' || !URL_PATTERN.test(url)) return undefined
    return { clients, capacity, url }
  } catch {
    return undefined
  }
}
