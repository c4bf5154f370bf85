/**
 * Tree message bodies (JSON) and strict validation of what peers send: a
 * malformed body is a BorgError('malformed'), never a crash or a half-applied
 * state change. docs/protocol.md §6 lists every kind and field.
 */
import { BorgError } from '../errors.js'
import { BodyType, type Incoming, type Outgoing } from '../wire/message.js'
import { plainMember, type Canon, type MemberTable } from './members.js'
import type { RosterOp } from './roster.js'
import type { Epoch, Member, Placed, View } from './types.js'

export const KIND = {
  join: 'tree.join',
  joinReply: 'tree.join.reply',
  hb: 'tree.hb',
  hbReply: 'tree.hb.reply',
  probe: 'tree.probe',
  probeReply: 'tree.probe.reply',
  whereami: 'tree.whereami',
  whereamiReply: 'tree.whereami.reply',
  whois: 'tree.whois',
  whoisReply: 'tree.whois.reply',
  sync: 'tree.sync',
  syncReply: 'tree.sync.reply',
  leave: 'tree.leave',
  leaveReply: 'tree.leave.reply',
  assign: 'tree.assign',
  suspect: 'tree.suspect',
  promote: 'tree.promote',
  merge: 'tree.merge',
  shuffle: 'tree.shuffle',
  shuffleReply: 'tree.shuffle.reply',
  bcast: 'tree.bcast',
  route: 'tree.route',
} as const

/** Facts about the whole tree that flow down with heartbeat replies. */
export interface TreeInfo {
  treeId: string
  epoch: Epoch
  size: number
  root: Member
  deputies: Placed[]
  last: Placed
}

export interface JoinRequest {
  member: Member
}
export interface JoinReply {
  /** queued: wait for an assignment; redirect: ask `root`; try: the contact is joining too, ask these. */
  status: 'queued' | 'redirect' | 'try'
  treeId?: string
  root?: Member
  size?: number
  endpoints?: string[]
  /**
   * queued: the root's estimate of the wait before admission, ms (its queue
   * length over its admission rate). A wire addition: the joiner asks again no
   * sooner than this (capped), instead of every joinRetryMs, so a long join
   * storm does not flood the root with repeated requests. Absent: as before.
   */
  wait?: number
}
/**
 * Heartbeats are small: `known` is the epoch of the tree-wide info the sender
 * already holds, and the parent leaves `info` out of its answer unless it has
 * newer (or belongs to another tree), since the child would ignore it anyway.
 * In a quiet tree a heartbeat is ~120 bytes and its answer ~350.
 */
export interface Heartbeat {
  treeId: string
  epoch: Epoch
  position: number
  known?: Epoch
}
export interface HeartbeatReply {
  /** Whether the sender is this node's child at the position it claims. */
  childOk: boolean
  /** The parent's own placement epoch, so a stale side can tell. */
  epoch: Epoch
  info?: TreeInfo
  contacts: Member[]
}
export interface ProbeReply {
  state: string
  treeId?: string
  position?: number
  epoch?: Epoch
  root?: Member
}
export interface WhoisReply {
  /** A few nodes the answering node knows: probes double as contact gossip. */
  contacts?: Member[]
  /** A root's deputies, so another root can check with them that the tree is real before dissolving into it. */
  deputies?: Placed[]
  /** The largest tree the answering node has heard of lately. */
  best?: { treeId: string; root: Member; size: number; age?: number }
  state: string
  treeId?: string
  epoch?: Epoch
  root?: Member
  size?: number
}
export interface SyncRequest {
  treeId: string
  epoch: Epoch
  base?: Epoch
  ops?: RosterOp[]
  snapshot?: Member[]
  maxChildren: number
  /** The root's term certificates (a root of a later term than the first), so a member that knew an older root can follow. */
  chain?: TermCert[]
  /** Snapshots: the root's word that the receiver is one of its deputies this term (it may then promote a new root). */
  deputyCert?: DeputyCert
}
/**
 * "`root` is the root of this tree from `term` on", signed by `by`: the deputy
 * that promoted it after the old root went silent (with `deputy`, the old
 * root's word that `by` was its deputy), or the root that handed its place
 * over when leaving (origin.ts has the signed bytes). A root keeps the
 * certificates of the last few terms (its chain): a member accepts a root it
 * did not know only through a chain that starts at the root it knew.
 */
export interface TermCert {
  term: number
  root: string
  by: string
  /** base64 of the 64-byte signature. */
  sig: string
  deputy?: DeputyCert
}
/** "The signer of `sig`, `root`, made the certificate's signer its deputy in `term`". */
export interface DeputyCert {
  root: string
  term: number
  sig: string
}
export interface Assign {
  view: View
  chain?: TermCert[]
}
export interface Suspect {
  treeId: string
  position: number
  id: string
}
export interface Promote {
  treeId: string
  epoch: Epoch
  snapshot: Member[]
  /** The promoter's chain, ending with the certificate that makes the receiver root. */
  chain: TermCert[]
}
export interface MergeHint {
  treeId: string
  epoch?: Epoch
  root: Member
  size: number
}
export interface Broadcast {
  /** The tree this broadcast belongs to: it never crosses into another (a node that moves carries it over). */
  treeId: string
  bid: string
  origin: string
  kind: string
  body: string // base64
  bodyType: BodyType
  /** The origin's network time when it started the broadcast, ms. */
  at: number
  /** base64 of the origin's signature over broadcastSignedBytes (origin.ts): every hop checks who started it. */
  sig: string
  /**
   * Links this copy has crossed since the origin: the origin sends 1, every
   * forward (and every resend over a repaired link) sends what it got plus one.
   * Informational (depth measurements); duplicates are suppressed by `bid`.
   */
  hops: number
}
export interface Route {
  /** Positions only mean something within one tree. */
  treeId?: string
  dst: { position?: number; node?: string }
  src: Member
  kind: string
  body: string // base64
  bodyType: BodyType
  hops: number
  /** Random id (16 hex digits): the addressee delivers each once. */
  rid: string
  /** The origin's network time when it sent the message, ms. */
  at: number
  /** base64 of `src`'s signature over routeSignedBytes (origin.ts). */
  sig: string
}
export interface LeaveRequest {
  treeId: string
  member: Member
  position: number
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true })

export function message(kind: string, value: unknown): Outgoing {
  // Buffer.from: small bodies are carved out of a shared pool (TextEncoder makes an ArrayBuffer per message).
  return jsonBody(kind, JSON.stringify(value))
}

function jsonBody(kind: string, json: string): Outgoing {
  return { kind, body: utf8Bytes(json), bodyType: BodyType.json }
}

/**
 * Message bodies are written into 64 KB slabs and handed out as views: like
 * Buffer.from's 8 KB pool, without a fresh ArrayBuffer (~1.5 µs here) every
 * few dozen messages. Bodies are short-lived (sent, parsed, dropped); the few
 * that are kept go through reuse(), which copies them out.
 */
const BODY_SLAB = 65_536
let bodySlab = Buffer.allocUnsafeSlow(0)
let bodySlabUsed = 0
function utf8Bytes(json: string): Uint8Array {
  const most = 3 * json.length
  if (most > BODY_SLAB / 8) return Buffer.from(json, 'utf8')
  if (bodySlabUsed + most > bodySlab.length) {
    bodySlab = Buffer.allocUnsafeSlow(BODY_SLAB)
    bodySlabUsed = 0
  }
  const start = bodySlabUsed
  bodySlabUsed += bodySlab.write(json, start, 'utf8')
  return bodySlab.subarray(start, bodySlabUsed)
}

/**
 * Bodies senders keep and send again unchanged (a join request, a heartbeat
 * while nothing changed, the root's "queued" answer). Decoders remember what
 * such a body decoded to, so where the same bytes object arrives again (the
 * simulator passes bodies by reference; a real transport never does) it is
 * not parsed again. Weak: a body nobody holds any more is forgotten.
 */
const reusedBodies = new WeakSet<Uint8Array>()

/** A message to be sent many times: encoded once (see reuse()). */
export function reusableMessage(kind: string, value: unknown): Outgoing {
  return reuse(message(kind, value))
}

/**
 * The same message with its body moved into bytes kept for reuse: 16 KB slabs
 * that hold only such bodies. A pooled Buffer slice would pin its whole 8 KB
 * pool slab (mostly garbage), and bytes of their own cost an ArrayBuffer each
 * (~1.5 µs, and ~200 B), which adds up with a body kept per simulated node.
 */
export function reuse(message: Outgoing): Outgoing {
  const bytes = message.body!
  let body: Uint8Array
  if (bytes.length > REUSE_SLAB / 8) body = bytes.slice()
  else {
    if (reuseSlabUsed + bytes.length > reuseSlab.length) {
      reuseSlab = new Uint8Array(REUSE_SLAB)
      reuseSlabUsed = 0
    }
    reuseSlab.set(bytes, reuseSlabUsed)
    body = reuseSlab.subarray(reuseSlabUsed, (reuseSlabUsed += bytes.length))
  }
  reusedBodies.add(body)
  return { kind: message.kind, body, bodyType: message.bodyType }
}
const REUSE_SLAB = 16_384
let reuseSlab = new Uint8Array(0)
let reuseSlabUsed = 0

// ---- hand-built JSON for the hottest bodies ------------------------------------
// JSON.stringify costs ~100 ns per property on this engine (V8 11.3 has no fast
// path), which made heartbeat answers the largest cost of a simulated tree.
// These produce exactly JSON.stringify's text for the same value (test/tree/codec.test.ts).

/** Printable ASCII without `"` and `\`: such a string is its own JSON body between quotes. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/
const jsonString = (s: string): string => (PLAIN.test(s) ? `"${s}"` : JSON.stringify(s))
const jsonNumber = (n: number): string => (Number.isFinite(n) ? String(n) : 'null')
const jsonEpoch = (e: Epoch): string => `{"term":${jsonNumber(e.term)},"seq":${jsonNumber(e.seq)}}`
/** A Member as stored by the tree (exactly `id` and `endpoint`). */
function jsonMember(m: Member): string {
  return `{"id":${jsonString(m.id)},"endpoint":${jsonString(m.endpoint)}}`
}
function jsonMembers(list: readonly Member[]): string {
  let out = '['
  for (let i = 0; i < list.length; i++) out += (i > 0 ? ',' : '') + jsonMember(list[i]!)
  return out + ']'
}

/** The answer to a heartbeat; `contacts` must be plain Members (id, endpoint), as the contact book keeps them. */
export function heartbeatReplyMessage(reply: HeartbeatReply): Outgoing {
  let json = `{"childOk":${reply.childOk},"epoch":${jsonEpoch(reply.epoch)}`
  if (reply.info !== undefined) json += `,"info":${JSON.stringify(reply.info)}`
  json += `,"contacts":${jsonMembers(reply.contacts)}`
  return jsonBody(KIND.hbReply, json + '}')
}

/** Peer-sampling bodies (shuffle and its answer): a list of plain Members. */
export function contactsMessage(kind: string, contacts: readonly Member[]): Outgoing {
  return jsonBody(kind, `{"contacts":${jsonMembers(contacts)}}`)
}

// ---- validation -------------------------------------------------------------

function bad(what: string): never {
  throw new BorgError('malformed', `tree message: ${what}`)
}
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown, what: string, max = 512, pattern?: RegExp): string =>
  typeof v === 'string' && v.length > 0 && v.length <= max && (!pattern || pattern.test(v)) ? v : bad(what)
/** Printable ASCII: what may go between the NULs of a signed document (origin.ts). */
const TEXT = /^[\x21-\x7e]+$/
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/
/** Term certificates a root keeps and sends (the last few terms). */
export const MAX_CHAIN = 4
const int = (v: unknown, what: string, min = 0): number => (Number.isSafeInteger(v) && (v as number) >= min ? (v as number) : bad(what))
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
  // As wire/message.ts readJson, with one shared (fatal) decoder instead of one per message.
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
  /** What reused bodies decoded to (see reusableMessage): shared by every receiver, never mutated. */
  const decoded = new WeakMap<Uint8Array, unknown>()
  const memo = <T>(m: Incoming, decode: (m: Incoming) => T): T => {
    if (!reusedBodies.has(m.body)) return decode(m)
    let value = decoded.get(m.body) as T | undefined
    if (value === undefined) decoded.set(m.body, (value = decode(m)))
    return value
  }
  const join = (m: Incoming): JoinRequest => ({ member: asMember(body(m).member) })
  const joinReply = (m: Incoming): JoinReply => {
    const b = body(m)
    if (b.status === 'try') return { status: 'try', endpoints: arr(b.endpoints ?? [], 'endpoints', 32).map((e) => str(e, 'endpoint', 300)) }
    if (b.status !== 'queued' && b.status !== 'redirect') bad('status')
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

  return {
    asMember,
    asPlaced,
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
      const b = body(m)
      return {
        childOk: b.childOk === true,
        epoch: asEpoch(b.epoch),
        info: b.info === undefined ? undefined : asInfo(b.info),
        contacts: members(b.contacts ?? [], 'contacts', 64),
      }
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
      }
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
      return { treeId: treeId(b.treeId), epoch: asEpoch(b.epoch), snapshot: arr(b.snapshot, 'snapshot', 10_000_000).map((x) => asMember(x)), chain: asChain(b.chain, 1) }
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
const tableDecoders = new WeakMap<MemberTable, TreeDecoder>()

/** The decoder for a table (one per table, shared by all its nodes). */
export function decoderFor(table: MemberTable | undefined): TreeDecoder {
  if (!table) return decode
  let d = tableDecoders.get(table)
  if (!d) tableDecoders.set(table, (d = treeDecoder(table)))
  return d
}

export const asMember = decode.asMember
export const asPlaced = decode.asPlaced
export const asView = decode.asView
