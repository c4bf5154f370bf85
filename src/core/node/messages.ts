/**
 * The node runtime's own kinds (docs/protocol.md §5, §7): `wire.ping`, which
 * every envelope port answers, `node.directory`, and the control kinds a node
 * takes on its receptors from its own key. One codec per kind, requests and
 * replies, in NODE_CODECS.
 */
import { bool, fail, hex, int, isRecord, literal, nodeId, num, object, optional, record, refusedAs, text, type Check, type Infer } from '../codec/checks.js'
import { codecTable, emptyCodec, jsonCodec, shapeCodec, type Codec } from '../codec/codec.js'

export const PING_KIND = 'wire.ping'
export const PONG_KIND = 'wire.pong'
/** How a node learns the cell endpoints of the node at an address (any of its envelope ports answers). */
export const DIRECTORY_KIND = 'node.directory'
/** What `node.broadcast` and `node.send` carry through the tree: `{"text"}`. */
export const NOTE_KIND = 'node.note'
/** Reachability (docs/protocol.md §7): "dial me back on this port at the address you see me at", and the proof it happened. */
export const DIALBACK_KIND = 'node.dialback'
export const DIALBACK_NONCE_KIND = 'node.dialback.nonce'
/** Bytes of a dial-back nonce. */
export const DIALBACK_NONCE_BYTES = 16
/** Control kinds: receptor only, from the node's own key. */
export const CONTROL = { leave: 'node.leave', broadcast: 'node.broadcast', send: 'node.send' } as const

/** A note's text at most; nodes keep the first 1000 characters of what they receive (notes.ts). */
const MAX_NOTE = 65_536
/** Cells a directory lists at most (a node runs one of each type). */
const MAX_CELLS = 64

export interface Ping {
  seq?: number
}

export interface Pong {
  /** Public key (hex) the node verified the ping's signature with. */
  from: string
  /** The node's network time when it answered, ms since the epoch. */
  time: number
  version: string
  /** The address the node saw the ping's connection come from (an observation: NAT rewrites it). */
  seen?: string
}

/** Any JSON is a ping (docs/protocol.md §5): a finite `seq` is kept, anything else is an empty ping. */
const pingCheck: Check<Ping> = (value) => (isRecord(value) && typeof value.seq === 'number' && Number.isFinite(value.seq) ? { seq: value.seq } : {})

const endpoint = text({ max: 300 })
const directoryShape = { nodeId, cells: record(object({ net: endpoint, recp: endpoint, mon: endpoint }), MAX_CELLS) }
export type Directory = Infer<typeof directoryShape>

/** What docs/protocol.md §5.1 has the handler check: a note's text, a target; refused as `invalid-input`. */
const noteText = refusedAs('invalid-input', text({ max: MAX_NOTE }))
const cellName = text({ max: 64 })
const sendShape = object({
  cell: optional(cellName),
  text: noteText,
  position: optional(refusedAs('invalid-input', int(1))),
  node: optional(refusedAs('invalid-input', nodeId)),
})
export type SendNote = ReturnType<typeof sendShape>
const sendCheck: Check<SendNote> = (value, at) => {
  const note = sendShape(value, at)
  if (note.position === undefined && note.node === undefined) fail(at, 'needs a position or a node id', 'invalid-input')
  return note
}

const address = text({ max: 64 })
const pong: Codec<Pong> = shapeCodec(PONG_KIND, { from: nodeId, time: num(), version: text({ max: 64 }), seen: optional(address) })
const nonce = refusedAs('invalid-input', hex(DIALBACK_NONCE_BYTES))

export const NODE_CODECS = codecTable({
  ping: jsonCodec(PING_KIND, pingCheck),
  pong,
  directory: emptyCodec(DIRECTORY_KIND),
  directoryReply: shapeCodec(`${DIRECTORY_KIND}.reply`, directoryShape),
  leave: emptyCodec(CONTROL.leave),
  leaveReply: shapeCodec(`${CONTROL.leave}.reply`, { leaving: literal(true) }),
  broadcast: shapeCodec(CONTROL.broadcast, { cell: optional(cellName), text: noteText }),
  /** `bid`: the broadcast's id; `at`: network time ms; `treeSize` when the node knows it. */
  broadcastReply: shapeCodec(`${CONTROL.broadcast}.reply`, { bid: text({ max: 128 }), at: num(), cell: cellName, treeSize: optional(int()) }),
  send: jsonCodec(CONTROL.send, sendCheck),
  /** `queued`: the depth of the cell's outbox after queueing the note. */
  sendReply: shapeCodec(`${CONTROL.send}.reply`, { queued: int() }),
  note: shapeCodec(NOTE_KIND, { text: text({ max: MAX_NOTE, min: 0 }) }),
  dialback: shapeCodec(DIALBACK_KIND, { port: refusedAs('invalid-input', int(1, 65_535)), nonce }),
  /** `reached`: the nonce was delivered at the address; `error`: why not (a code). */
  dialbackReply: shapeCodec(`${DIALBACK_KIND}.reply`, { reached: bool, address, error: optional(text({ max: 64 })) }),
  dialbackNonce: shapeCodec(DIALBACK_NONCE_KIND, { nonce }),
})
