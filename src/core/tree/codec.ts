/**
 * Strict decoding of every tree message, and the codec table ({kind, encode,
 * decode} per kind) senders and handlers use: a malformed body is a
 * BorgError('malformed'), never a crash or a half-applied state change.
 * docs/protocol.md §6 lists every kind and field; messages.ts their shapes.
 */
import { codecTable, emptyCodec, type Codec } from '../codec/codec.js'
import { BorgError } from '../errors.js'
import { BodyType, type Incoming, type Outgoing, type Target } from '../wire/message.js'
import { isReused, message } from './body-pool.js'
import { contactsMessage, heartbeatReplyMessage } from './fast-json.js'
import { plainMember, type Canon, type MemberTable } from './members.js'
import {
  KIND,
  MAX_CHAIN,
  MAX_SNAPSHOT_PARTS,
  type Assign,
  type Broadcast,
  type DeputyCert,
  type Dissolve,
  type Heartbeat,
  type HeartbeatReply,
  type JoinReply,
  type JoinRequest,
  type LeaveRequest,
  type MergeHint,
  type ProbeReply,
  type Promote,
  type Route,
  type Suspect,
  type SyncRequest,
  type TermCert,
  type TreeInfo,
  type Whereami,
  type WhereamiReply,
  type WhoisReply,
} from './messages.js'
import type { RosterOp } from './roster.js'
import type { Epoch, Member, Placed, View } from './types.js'

const utf8Decoder = new TextDecoder('utf-8', { fatal: true })

function bad(what: string): never {
  throw new BorgError('malformed', `tree message: ${what}`)
}
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown, what: string, max = 512, pattern?: RegExp): string =>
  typeof v === 'string' && v.length > 0 && v.length <= max && (!pattern || pattern.test(v)) ? v : bad(what)
/** Printable ASCII: what may go between the NULs of a signed document (origin.ts). */
const TEXT = /^[\x21-\x7e]+$/
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/
const int = (v: unknown, what: string, min = 0): number => (Number.isSafeInteger(v) && (v as number) >= min ? (v as number) : bad(what))
/** [index, count] of a snapshot sent in parts: only with a snapshot, 0 ≤ index < count ≤ MAX_SNAPSHOT_PARTS. */
const asPart = (v: unknown, snapshot: unknown): [number, number] => {
  if (!Array.isArray(v) || v.length !== 2 || snapshot === undefined) return bad('part')
  const count = int(v[1], 'part', 2)
  const index = int(v[0], 'part')
  return index < count && count <= MAX_SNAPSHOT_PARTS ? [index, count] : bad('part')
}
const arr = (v: unknown, what: string, max = 100_000): unknown[] => (Array.isArray(v) && v.length <= max ? v : bad(what))

function asEpochWith(v: unknown, what: string, make: (term: number, seq: number) => Epoch): Epoch {
  if (!isObject(v)) bad(what)
  return make(int(v.term, `${what}.term`), int(v.seq, `${what}.seq`))
}
const plainEpoch = (term: number, seq: number): Epoch => ({ term, seq })
export function asEpoch(v: unknown, what = 'epoch'): Epoch {
  return asEpochWith(v, what, plainEpoch)
}
function asOpWith(v: unknown, asMember: (v: unknown, what?: string) => Member): RosterOp {
  if (!isObject(v)) bad('op')
  if (v.op === 'set') return { op: 'set', position: int(v.position, 'op.position', 1), member: asMember(v.member, 'op.member') }
  if (v.op === 'truncate') return { op: 'truncate', size: int(v.size, 'op.size') }
  return bad('op.op')
}

function body(message: Incoming): Record<string, unknown> {
  // As core/codec parseJsonBody, with one shared (fatal) decoder, and the object check the tree needs.
  if (message.bodyType !== BodyType.json) throw new BorgError('malformed', `${message.kind}: body is not JSON`)
  let value: unknown
  try {
    value = JSON.parse(utf8Decoder.decode(message.body))
  } catch (error) {
    throw new BorgError('malformed', `${message.kind}: body is not valid UTF-8 JSON`, { cause: error })
  }
  return isObject(value) ? value : bad('body is not an object')
}

/**
 * Decoders for every tree message. With a MemberTable, the members they
 * return are its shared objects (and tree ids its shared strings); without,
 * plain fresh objects.
 */
export function treeDecoder(table?: MemberTable) {
  const canon: Canon = table?.member ?? plainMember
  const text = table ? (s: string) => table.text(s) : (s: string) => s
  const treeId = (v: unknown, what = 'treeId'): string => text(str(v, what))
  const asMember = (v: unknown, what = 'member'): Member => {
    if (!isObject(v)) bad(what)
    return canon(str(v.id, `${what}.id`, 130), str(v.endpoint, `${what}.endpoint`, 300))
  }
  const asPlaced = (v: unknown, what = 'member'): Placed => {
    const m = asMember(v, what)
    const position = int((v as Record<string, unknown>).position, `${what}.position`, 1)
    return table ? table.placed(m, position) : { id: m.id, endpoint: m.endpoint, position }
  }
  const makeEpoch = table ? (term: number, seq: number) => table.epoch(term, seq) : plainEpoch
  const asEpoch = (v: unknown, what = 'epoch'): Epoch => asEpochWith(v, what, makeEpoch)
  const asInfo = (v: unknown): TreeInfo => {
    if (!isObject(v)) bad('info')
    return {
      treeId: treeId(v.treeId, 'info.treeId'),
      epoch: asEpoch(v.epoch),
      size: int(v.size, 'info.size', 1),
      root: asMember(v.root, 'info.root'),
      deputies: arr(v.deputies, 'info.deputies', 64).map((d) => asPlaced(d, 'deputy')),
      last: asPlaced(v.last, 'info.last'),
    }
  }
  const asView = (v: unknown): View => {
    if (!isObject(v)) bad('view')
    return {
      treeId: treeId(v.treeId),
      epoch: asEpoch(v.epoch),
      position: int(v.position, 'position', 1),
      size: int(v.size, 'size', 1),
      root: asMember(v.root, 'root'),
      parent: v.parent === undefined ? undefined : asMember(v.parent, 'parent'),
      children: arr(v.children, 'children', 1024).map((c) => asPlaced(c, 'child')),
      deputies: arr(v.deputies, 'deputies', 64).map((d) => asPlaced(d, 'deputy')),
      last: asPlaced(v.last, 'last'),
    }
  }
  const asOp = (v: unknown): RosterOp => asOpWith(v, asMember)
  /** Reused bodies (see reuse() in body-pool.ts) keep what this decoder made of them: shared by every receiver, never mutated. */
  const owner = {}
  const memo = <T>(m: Incoming, decode: (m: Incoming) => T): T => {
    const body = m.body
    if (!isReused(body)) return decode(m)
    if (body.decodedBy === owner) return body.decoded as T
    const value = decode(m)
    body.decodedBy = owner
    body.decoded = value
    return value
  }
  const sync = (m: Incoming): SyncRequest => {
    const b = body(m)
    return {
      treeId: treeId(b.treeId),
      epoch: asEpoch(b.epoch),
      base: b.base === undefined ? undefined : asEpoch(b.base, 'base'),
      ops: b.ops === undefined ? undefined : arr(b.ops, 'ops').map(asOp),
      snapshot: b.snapshot === undefined ? undefined : arr(b.snapshot, 'snapshot', 10_000_000).map((x) => asMember(x)),
      maxChildren: int(b.maxChildren, 'maxChildren', 1),
      chain: b.chain === undefined ? undefined : asChain(b.chain),
      deputyCert: b.deputyCert === undefined ? undefined : asDeputyCert(b.deputyCert),
      part: b.part === undefined ? undefined : asPart(b.part, b.snapshot),
    }
  }
  const join = (m: Incoming): JoinRequest => ({ member: asMember(body(m).member) })
  const joinReply = (m: Incoming): JoinReply => {
    const b = body(m)
    if (b.status === 'try') return { status: 'try', endpoints: arr(b.endpoints ?? [], 'endpoints', 32).map((e) => str(e, 'endpoint', 300)) }
    if (b.status !== 'queued' && b.status !== 'later' && b.status !== 'redirect') bad('status')
    if (b.status === 'later' && b.wait === undefined) bad('wait')
    return { status: b.status, treeId: treeId(b.treeId), root: asMember(b.root, 'root'), size: int(b.size, 'size', 1), wait: b.wait === undefined ? undefined : int(b.wait, 'wait') }
  }
  const heartbeat = (m: Incoming): Heartbeat => {
    const b = body(m)
    return {
      treeId: treeId(b.treeId),
      epoch: asEpoch(b.epoch),
      position: int(b.position, 'position', 1),
      known: b.known === undefined ? undefined : asEpoch(b.known, 'known'),
    }
  }
  const heartbeatReply = (m: Incoming): HeartbeatReply => {
    const b = body(m)
    return {
      childOk: b.childOk === true,
      epoch: asEpoch(b.epoch),
      info: b.info === undefined ? undefined : asInfo(b.info),
      contacts: members(b.contacts ?? [], 'contacts', 64),
    }
  }
  const nodeId = (v: unknown, what: string): string => {
    const id = str(v, what, 130)
    return table ? table.id(id) : id
  }
  const base64 = (v: unknown, what: string, max: number): string => (typeof v === 'string' && v.length <= max && BASE64.test(v) ? v : bad(what))
  const asDeputyCert = (v: unknown): DeputyCert => {
    if (!isObject(v)) bad('deputy certificate')
    return { root: nodeId(v.root, 'deputy.root'), term: int(v.term, 'deputy.term', 1), sig: base64(v.sig, 'deputy.sig', 100) }
  }
  const asCert = (v: unknown): TermCert => {
    if (!isObject(v)) bad('cert')
    const cert: TermCert = { term: int(v.term, 'cert.term', 1), root: nodeId(v.root, 'cert.root'), by: nodeId(v.by, 'cert.by'), sig: base64(v.sig, 'cert.sig', 100) }
    if (v.deputy !== undefined) cert.deputy = asDeputyCert(v.deputy)
    return cert
  }
  const asChain = (v: unknown, min = 0): TermCert[] => {
    const chain = arr(v, 'chain', MAX_CHAIN).map(asCert)
    return chain.length >= min ? chain : bad('chain')
  }
  const members = (v: unknown, what: string, max: number): Member[] => arr(v, what, max).map((c) => asMember(c, what.replace(/s$/, '')))

  const broadcast = (m: Incoming): Broadcast => {
    const b = body(m)
    const bodyType = b.bodyType === BodyType.json ? BodyType.json : b.bodyType === BodyType.binary ? BodyType.binary : bad('bodyType')
    // Every node keeps the broadcast it saw (for resends): share its id strings.
    return {
      treeId: treeId(b.treeId),
      bid: text(str(b.bid, 'bid', 200, TEXT)),
      origin: nodeId(b.origin, 'origin'),
      kind: text(str(b.kind, 'kind', 64, TEXT)),
      body: base64(b.body, 'body', Infinity),
      bodyType,
      hops: int(b.hops, 'hops', 1),
      at: int(b.at, 'at'),
      sig: base64(b.sig, 'sig', 100),
    }
  }

  const dissolve = (m: Incoming): Dissolve => {
    const b = body(m)
    return { treeId: treeId(b.treeId), root: asMember(b.root, 'root'), term: int(b.term, 'term'), chain: b.chain === undefined ? undefined : asChain(b.chain) }
  }

  return {
    asMember,
    asPlaced,
    dissolve,
    asView,
    asChain,
    join(m: Incoming): JoinRequest {
      return memo(m, join)
    },
    joinReply(m: Incoming): JoinReply {
      return memo(m, joinReply)
    },
    heartbeat(m: Incoming): Heartbeat {
      return memo(m, heartbeat)
    },
    heartbeatReply(m: Incoming): HeartbeatReply {
      return memo(m, heartbeatReply)
    },
    probeReply(m: Incoming): ProbeReply {
      const b = body(m)
      return {
        state: str(b.state, 'state', 16),
        treeId: b.treeId === undefined ? undefined : treeId(b.treeId),
        position: b.position === undefined ? undefined : int(b.position, 'position', 1),
        epoch: b.epoch === undefined ? undefined : asEpoch(b.epoch),
        root: b.root === undefined ? undefined : asMember(b.root, 'root'),
      }
    },
    whereami(m: Incoming): { treeId: string; member: Member } {
      const b = body(m)
      return { treeId: treeId(b.treeId), member: asMember(b.member) }
    },
    whereamiReply(m: Incoming): { view?: View } {
      const b = body(m)
      return { view: b.view === undefined ? undefined : asView(b.view) }
    },
    whoisReply(m: Incoming): WhoisReply {
      const b = body(m)
      return {
        state: str(b.state, 'state', 16),
        treeId: b.treeId === undefined ? undefined : treeId(b.treeId),
        epoch: b.epoch === undefined ? undefined : asEpoch(b.epoch),
        root: b.root === undefined ? undefined : asMember(b.root, 'root'),
        size: b.size === undefined ? undefined : int(b.size, 'size', 1),
        contacts: members(b.contacts ?? [], 'contacts', 16),
        deputies: b.deputies === undefined ? undefined : arr(b.deputies, 'deputies', 64).map((d) => asPlaced(d, 'deputy')),
        best: isObject(b.best)
          ? {
              treeId: treeId(b.best.treeId, 'best.treeId'),
              root: asMember(b.best.root, 'best.root'),
              size: int(b.best.size, 'best.size', 1),
              age: b.best.age === undefined ? undefined : int(b.best.age, 'best.age'),
            }
          : undefined,
      }
    },
    sync(m: Incoming): SyncRequest {
      return memo(m, sync)
    },
    syncReply(m: Incoming): { ok: boolean } {
      return { ok: body(m).ok === true }
    },
    assign(m: Incoming): Assign {
      const b = body(m)
      return { view: asView(b), chain: b.chain === undefined ? undefined : asChain(b.chain) }
    },
    suspect(m: Incoming): Suspect {
      const b = body(m)
      return { treeId: treeId(b.treeId), position: int(b.position, 'position', 1), id: str(b.id, 'id', 130) }
    },
    promote(m: Incoming): Promote {
      const b = body(m)
      return {
        treeId: treeId(b.treeId),
        epoch: asEpoch(b.epoch),
        snapshot: arr(b.snapshot, 'snapshot', 10_000_000).map((x) => asMember(x)),
        chain: asChain(b.chain, 1),
        part: b.part === undefined ? undefined : asPart(b.part, b.snapshot),
      }
    },
    merge(m: Incoming): MergeHint {
      const b = body(m)
      return {
        treeId: treeId(b.treeId),
        epoch: b.epoch === undefined ? undefined : asEpoch(b.epoch),
        root: asMember(b.root, 'root'),
        size: int(b.size, 'size', 1),
      }
    },
    broadcast(m: Incoming): Broadcast {
      return memo(m, broadcast)
    },
    route(m: Incoming): Route {
      const b = body(m)
      if (!isObject(b.dst)) bad('dst')
      const dst = {
        position: b.dst.position === undefined ? undefined : int(b.dst.position, 'dst.position', 1),
        node: b.dst.node === undefined ? undefined : str(b.dst.node, 'dst.node', 130),
      }
      if (dst.position === undefined && dst.node === undefined) bad('dst is empty')
      const bodyType = b.bodyType === BodyType.json ? BodyType.json : b.bodyType === BodyType.binary ? BodyType.binary : bad('bodyType')
      return {
        treeId: b.treeId === undefined ? undefined : treeId(b.treeId),
        dst,
        src: asMember(b.src, 'src'),
        kind: str(b.kind, 'kind', 64, TEXT),
        body: base64(b.body, 'body', Infinity),
        bodyType,
        hops: int(b.hops, 'hops'),
        rid: str(b.rid, 'rid', 32, TEXT),
        at: int(b.at, 'at'),
        sig: base64(b.sig, 'sig', 100),
      }
    },
    shuffle(m: Incoming): { contacts: Member[] } {
      return { contacts: members(body(m).contacts, 'contacts', 16) }
    },
    leave(m: Incoming): LeaveRequest {
      const b = body(m)
      return { treeId: treeId(b.treeId), member: asMember(b.member), position: int(b.position, 'position', 1) }
    },
  }
}

export type TreeDecoder = ReturnType<typeof treeDecoder>

/** Decoders that return plain fresh objects. */
export const decode: TreeDecoder = treeDecoder()

const json = <T>(kind: string, decode: (m: Incoming) => T): Codec<T> => ({ kind, encode: (value, to) => addressed(message(kind, value), to), decode })
const addressed = (message: Outgoing, to: Target | undefined): Outgoing => (to ? { ...message, to } : message)
const contacts = (kind: string, decode: (m: Incoming) => { contacts: Member[] }): Codec<{ contacts: Member[] }> => ({
  kind,
  encode: (value, to) => addressed(contactsMessage(kind, value.contacts), to),
  decode,
})

/**
 * The codec of every tree kind, decoding with `d` (members shared through
 * its table, or plain objects). Hot senders write through the same encoders
 * (fast-json.ts for heartbeat answers and contact lists); a body sent many
 * times goes through reuse() (body-pool.ts).
 */
export function treeCodecs(d: TreeDecoder) {
  return codecTable({
    join: json<JoinRequest>(KIND.join, d.join),
    joinReply: json<JoinReply>(KIND.joinReply, d.joinReply),
    hb: json<Heartbeat>(KIND.hb, d.heartbeat),
    hbReply: { kind: KIND.hbReply, encode: (value: HeartbeatReply, to?: Target) => addressed(heartbeatReplyMessage(value), to), decode: d.heartbeatReply } satisfies Codec<HeartbeatReply>,
    probe: emptyCodec(KIND.probe),
    probeReply: json<ProbeReply>(KIND.probeReply, d.probeReply),
    whereami: json<Whereami>(KIND.whereami, d.whereami),
    whereamiReply: json<WhereamiReply>(KIND.whereamiReply, d.whereamiReply),
    whois: emptyCodec(KIND.whois),
    whoisReply: json<WhoisReply>(KIND.whoisReply, d.whoisReply),
    sync: json<SyncRequest>(KIND.sync, d.sync),
    syncReply: json<{ ok: boolean }>(KIND.syncReply, d.syncReply),
    leave: json<LeaveRequest>(KIND.leave, d.leave),
    leaveReply: emptyCodec(KIND.leaveReply),
    /** An assignment's body is the view's fields with the root's chain beside them. */
    assign: { kind: KIND.assign, encode: (value: Assign, to?: Target) => addressed(message(KIND.assign, value.chain ? { ...value.view, chain: value.chain } : value.view), to), decode: d.assign } satisfies Codec<Assign>,
    suspect: json<Suspect>(KIND.suspect, d.suspect),
    promote: json<Promote>(KIND.promote, d.promote),
    merge: json<MergeHint>(KIND.merge, d.merge),
    shuffle: contacts(KIND.shuffle, d.shuffle),
    shuffleReply: contacts(KIND.shuffleReply, d.shuffle),
    bcast: json<Broadcast>(KIND.bcast, d.broadcast),
    route: json<Route>(KIND.route, d.route),
    /** Carried inside a broadcast (its `kind` and base64 `body`), never sent alone. */
    dissolve: json<Dissolve>(KIND.dissolve, d.dissolve),
  })
}
export type TreeCodecs = ReturnType<typeof treeCodecs>

/** The tree's codecs with plain decoded objects: for encoding, and for tests and tools. */
export const TREE_CODECS: TreeCodecs = treeCodecs(decode)
const tableCodecs = new WeakMap<MemberTable, TreeCodecs>()

/** The codecs whose decoders share a table's members (one set per table, shared by all its nodes). */
export function codecsFor(table: MemberTable | undefined): TreeCodecs {
  if (!table) return TREE_CODECS
  let c = tableCodecs.get(table)
  if (!c) tableCodecs.set(table, (c = treeCodecs(treeDecoder(table))))
  return c
}

export const asMember = decode.asMember
export const asPlaced = decode.asPlaced
export const asView = decode.asView
