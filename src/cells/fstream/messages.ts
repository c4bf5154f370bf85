/**
 * The fstream cell's messages and media route (docs/protocol.md §9.8). Both
 * messages travel on the cell's net port with JSON bodies; one codec per
 * kind, requests and replies, in FSTREAM_CODECS.
 */
import { int, text } from '../../core/codec/checks.js'
import { codecTable, emptyCodec, shapeCodec, type Body, type Codec } from '../../core/codec/codec.js'
import { membersCodecs } from '../../core/tree/member-list.js'

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

const members = membersCodecs(FSTREAM_KIND.members)
const loadReply: Codec<CellLoad> = shapeCodec(`${FSTREAM_KIND.load}.reply`, {
  clients: int(),
  capacity: int(),
  url: text({ max: 300, pattern: URL_PATTERN, describe: 'https://HOST:PORT' }),
})

export const FSTREAM_CODECS = codecTable({
  members: members.request,
  membersReply: members.reply,
  load: emptyCodec(FSTREAM_KIND.load),
  loadReply,
})

/** A `fstream.load.reply`, or undefined when it is not one (a peer's odd answer is skipped, not trusted). */
export function readLoad(reply: Body): CellLoad | undefined {
  try {
    return FSTREAM_CODECS.loadReply.decode(reply)
  } catch {
    return undefined
  }
}
