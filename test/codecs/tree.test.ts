/** Every tree kind (docs/protocol.md §6) through the codec properties of harness.ts. */
import fc from 'fast-check'
import { TREE_CODECS } from '../../src/core/tree/codec.js'
import { describeCodecs } from './harness.js'

const text = (max: number) => fc.string({ minLength: 1, maxLength: max })
/** Printable ASCII, as broadcast ids and kinds must be. */
const printable = (max: number) => fc.stringMatching(new RegExp(`^[\\x21-\\x7e]{1,${max}}$`))
const treeId = fc.stringMatching(/^[0-9a-f]{32}$/)
const whole = (min = 0) => fc.integer({ min, max: Number.MAX_SAFE_INTEGER })
const epoch = fc.record({ term: whole(), seq: whole() })
const member = fc.record({ id: text(130), endpoint: text(300) })
const placed = fc.record({ id: text(130), endpoint: text(300), position: whole(1) })
const sig = fc.base64String({ maxLength: 100 })
const deputyCert = fc.record({ root: text(130), term: whole(1), sig })
const termCert = fc.record({ term: whole(1), root: text(130), by: text(130), sig, deputy: deputyCert }, { requiredKeys: ['term', 'root', 'by', 'sig'] })
const chain = (min = 0) => fc.array(termCert, { minLength: min, maxLength: 4 })
const view = fc.record(
  {
    treeId,
    epoch,
    position: whole(1),
    size: whole(1),
    root: member,
    parent: member,
    children: fc.array(placed, { maxLength: 5 }),
    deputies: fc.array(placed, { maxLength: 4 }),
    last: placed,
  },
  { requiredKeys: ['treeId', 'epoch', 'position', 'size', 'root', 'children', 'deputies', 'last'] },
)
const info = fc.record({ treeId, epoch, size: whole(1), root: member, deputies: fc.array(placed, { maxLength: 4 }), last: placed })
const op = fc.oneof(fc.record({ op: fc.constant('set' as const), position: whole(1), member }), fc.record({ op: fc.constant('truncate' as const), size: whole() }))
const bodyType = fc.constantFrom(0 as const, 1 as const)
/** [index, count] of a snapshot in parts: 0 ≤ index < count, 2 ≤ count ≤ 500. */
const part = fc.integer({ min: 2, max: 500 }).chain((count) => fc.tuple(fc.integer({ min: 0, max: count - 1 }), fc.constant(count)))
const contacts = (max: number) => fc.record({ contacts: fc.array(member, { maxLength: max }) })

describeCodecs('tree', TREE_CODECS, {
  join: fc.record({ member }),
  joinReply: fc.oneof(
    fc.record({ status: fc.constant('try' as const), endpoints: fc.array(text(300), { maxLength: 8 }) }),
    fc.record({ status: fc.constantFrom('queued' as const, 'redirect' as const), treeId, root: member, size: whole(1), wait: whole() }, { requiredKeys: ['status', 'treeId', 'root', 'size'] }),
    fc.record({ status: fc.constant('later' as const), treeId, root: member, size: whole(1), wait: whole() }),
  ),
  hb: fc.record({ treeId, epoch, position: whole(1), known: epoch }, { requiredKeys: ['treeId', 'epoch', 'position'] }),
  hbReply: fc.record({ childOk: fc.boolean(), epoch, info, contacts: fc.array(member, { maxLength: 8 }) }, { requiredKeys: ['childOk', 'epoch', 'contacts'] }),
  probe: fc.constant({}),
  probeReply: fc.record({ state: text(16), treeId, position: whole(1), epoch, root: member }, { requiredKeys: ['state'] }),
  whereami: fc.record({ treeId, member }),
  whereamiReply: fc.record({ view }, { requiredKeys: [] }),
  whois: fc.constant({}),
  whoisReply: fc.record(
    {
      state: text(16),
      treeId,
      epoch,
      root: member,
      size: whole(1),
      contacts: fc.array(member, { maxLength: 4 }),
      deputies: fc.array(placed, { maxLength: 4 }),
      best: fc.record({ treeId, root: member, size: whole(1), age: whole() }, { requiredKeys: ['treeId', 'root', 'size'] }),
    },
    { requiredKeys: ['state', 'contacts'] },
  ),
  sync: fc.oneof(
    fc.record(
      { treeId, epoch, base: epoch, ops: fc.array(op, { maxLength: 6 }), snapshot: fc.array(member, { maxLength: 6 }), maxChildren: whole(1), chain: chain(), deputyCert },
      { requiredKeys: ['treeId', 'epoch', 'maxChildren'] },
    ),
    fc.record({ treeId, epoch, snapshot: fc.array(member, { maxLength: 6 }), maxChildren: whole(1), deputyCert, part }, { requiredKeys: ['treeId', 'epoch', 'snapshot', 'maxChildren', 'part'] }),
  ),
  syncReply: fc.record({ ok: fc.boolean() }),
  leave: fc.record({ treeId, member, position: whole(1) }),
  leaveReply: fc.constant({}),
  assign: fc.record({ view, chain: chain() }, { requiredKeys: ['view'] }),
  suspect: fc.record({ treeId, position: whole(1), id: text(130) }),
  promote: fc.record({ treeId, epoch, snapshot: fc.array(member, { maxLength: 6 }), chain: chain(1), part }, { requiredKeys: ['treeId', 'epoch', 'snapshot', 'chain'] }),
  merge: fc.record({ treeId, epoch, root: member, size: whole(1) }, { requiredKeys: ['treeId', 'root', 'size'] }),
  shuffle: contacts(16),
  shuffleReply: contacts(16),
  bcast: fc.record({ treeId, bid: printable(200), origin: text(130), kind: printable(64), body: fc.base64String({ maxLength: 400 }), bodyType, hops: whole(1), at: whole(), sig }),
  route: fc.record(
    {
      treeId,
      dst: fc.oneof(fc.record({ position: whole(1) }), fc.record({ node: text(130) }), fc.record({ position: whole(1), node: text(130) })),
      src: member,
      kind: printable(64),
      body: fc.base64String({ maxLength: 400 }),
      bodyType,
      hops: whole(),
      rid: printable(32),
      at: whole(),
      sig,
    },
    { requiredKeys: ['dst', 'src', 'kind', 'body', 'bodyType', 'hops', 'rid', 'at', 'sig'] },
  ),
  dissolve: fc.record({ treeId, root: member, term: whole(), chain: chain() }, { requiredKeys: ['treeId', 'root', 'term'] }),
})
