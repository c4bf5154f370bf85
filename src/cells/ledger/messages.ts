/**
 * The ledger cell's messages (docs/protocol.md §11.3): JSON bodies whose
 * blocks and certificates travel as the lower-case hex of their canonical
 * bytes (§11, §11.1), so what a representative signs and what a peer stores
 * is exactly what was sent. Amounts are decimal strings of base units (a JSON
 * number cannot hold 2·10^16 exactly everywhere).
 */
import { bool, hex, int, list, literal, nodeId, object, optional, text, type Check } from '../../core/codec/checks.js'
import { codecTable, emptyCodec, shapeCodec, type ValueOf } from '../../core/codec/codec.js'
import { membersCodecs } from '../../core/tree/member-list.js'
import { hexToBytes } from '../../core/bytes.js'
import { MAX_BATCH, decodeCertificate } from '../../core/ledger/certificate.js'

export const LEDGER_KIND = {
  members: 'ledger.members',
  status: 'ledger.status',
  vote: 'ledger.vote',
  confirm: 'ledger.confirm',
  account: 'ledger.account',
  history: 'ledger.history',
  since: 'ledger.since',
  epoch: 'ledger.epoch',
  epochs: 'ledger.epochs',
  offences: 'ledger.offences',
} as const

/** Blocks per `ledger.vote` / `ledger.confirm`. */
export const MAX_ITEMS = MAX_BATCH
/** Entries per `ledger.since` / `ledger.history` reply. */
export const MAX_ENTRIES = 512
/** Receivable sends listed per `ledger.account` reply (the rest come once these are received). */
export const MAX_RECEIVABLE = 64
/** Hex of a block (its largest form: a send with a 120-byte memo and two secp256k1 key ids is 362 bytes). */
const blockHex = text({ max: 1024, min: 2, pattern: /^(?:[0-9a-f]{2})+$/, describe: 'a block in lower-case hex' })
/** Hex of a certificate (the statement and 64 votes of up to 358 bytes: key id, position, 8 path hashes, signature). */
const certificateHex = text({ max: 2 * (120 + 64 * 358), min: 2, pattern: /^(?:[0-9a-f]{2})+$/, describe: 'a certificate in lower-case hex' })
/** A base-unit amount as a decimal string: at most 20 digits (the supply has 17). */
export const units: Check<string> = text({ max: 20, pattern: /^(?:0|[1-9][0-9]*)$/, describe: 'base units as a decimal string' })
/** An epoch statement or certificate: up to 1000 members of 42 bytes and 1000 votes of 98. */
const epochHex = text({ max: 2 * (50 + 1000 * 42 + 1000 * 100), min: 2, pattern: /^(?:[0-9a-f]{2})+$/, describe: 'an epoch statement or certificate in lower-case hex' })
const address = text({ max: 64, pattern: /^[1-9A-HJ-NP-Za-km-z]+$/, describe: 'an address (base58)' })

/** A certified send, as a receive cites it. */
const sourceShape = { send: blockHex, certificate: certificateHex }
const source = object(sourceShape)
/** A block with its certificate (and, for an open or receive, its source). */
const certifiedShape = { block: blockHex, certificate: certificateHex, source: optional(source) }
const certified = object(certifiedShape)
/** A block of a chain: certified, or the genesis block (whose proof is the genesis file). */
const chainEntry = object({ ...certifiedShape, certificate: optional(certificateHex) })
export type CertifiedEntry = ValueOf<typeof LEDGER_CODECS.confirm>['items'][number]

const refusal = { code: text({ max: 64 }), error: text({ max: 1024 }) }

const members = membersCodecs(LEDGER_KIND.members)

export const LEDGER_CODECS = codecTable({
  members: members.request,
  membersReply: members.reply,
  status: emptyCodec(LEDGER_KIND.status),
  statusReply: shapeCodec(`${LEDGER_KIND.status}.reply`, {
    /** Whether this node has a pinned genesis; without one every other field but `node` is absent. */
    ready: bool,
    node: nodeId,
    /** Without a genesis: why, and how to pin one. */
    why: optional(text({ max: 1024 })),
    network: optional(hex(32)),
    /** The genesis document (docs/protocol.md §11.2): its SHA-256 is `network`; clients check epoch certificates from its committee on. */
    genesis: optional(text({ max: 2 * (200 + 64 * 34), pattern: /^(?:[0-9a-f]{2})+$/, describe: 'a genesis document in lower-case hex' })),
    name: optional(text({ max: 256 })),
    addressVersion: optional(int(0, 255)),
    treasury: optional(nodeId),
    epoch: optional(units),
    /** The epoch's committee: representatives, their weight, and where this node knows them. */
    committee: optional(list(object({ id: nodeId, weight: units, endpoint: optional(text({ max: 1024 })) }), 64)),
    role: optional(literal('representative', 'observer')),
    accounts: optional(int()),
    certified: optional(int()),
    supply: optional(units),
    frozen: optional(int()),
    /** Offences this node has proof of (representatives that voted twice). */
    offences: optional(int()),
  }),
  /**
   * Blocks to vote on. `previous`: the account's last certified block with its certificate, for a
   * representative that missed it (applied first); `source`: what an open or receive receives.
   */
  vote: shapeCodec(LEDGER_KIND.vote, {
    items: list(object({ block: blockHex, source: optional(source), previous: optional(certified) }), MAX_ITEMS, 1),
  }),
  /**
   * One result per item, in order: voted, or why not. `signature` (by the replying node's key) is
   * over the batch root of the statements of the items voted for, in order (§11.1); present when any was.
   */
  voteReply: shapeCodec(`${LEDGER_KIND.vote}.reply`, {
    epoch: units,
    signature: optional(hex(64)),
    results: list(object({ voted: optional(literal(true)), ...optionalRefusal() }), MAX_ITEMS),
  }),
  /** Certified blocks to apply. */
  confirm: shapeCodec(LEDGER_KIND.confirm, { items: list(certified, MAX_ITEMS, 1) }),
  confirmReply: shapeCodec(`${LEDGER_KIND.confirm}.reply`, {
    results: list(object({ outcome: literal('applied', 'known', 'refused'), ...optionalRefusal() }), MAX_ITEMS),
  }),
  /** One account, by key id or by address (an address that never opened has only receivable sends). */
  account: shapeCodec(LEDGER_KIND.account, { account: optional(nodeId), address: optional(address) }),
  accountReply: shapeCodec(`${LEDGER_KIND.account}.reply`, {
    address,
    account: optional(nodeId),
    /** The certified head (absent: the account never opened). */
    head: optional(chainEntry),
    balance: units,
    representative: optional(nodeId),
    /** Its owner signed two blocks at one height: representatives refuse all its blocks. */
    frozen: bool,
    /** The block this node voted for at the next height, not certified yet (a wallet that lost it finishes it). */
    proposal: optional(blockHex),
    receivable: list(object(sourceShape), MAX_RECEIVABLE),
  }),
  /** An account's certified blocks from `from` (height), oldest first. */
  history: shapeCodec(LEDGER_KIND.history, { account: nodeId, from: units, limit: optional(int(1, MAX_ENTRIES)) }),
  historyReply: shapeCodec(`${LEDGER_KIND.history}.reply`, { entries: list(chainEntry, MAX_ENTRIES) }),
  /** Catch-up: this node's certified blocks in the order it applied them, from position `cursor`. */
  since: shapeCodec(LEDGER_KIND.since, { cursor: int(), limit: optional(int(1, MAX_ENTRIES)) }),
  sinceReply: shapeCodec(`${LEDGER_KIND.since}.reply`, {
    entries: list(certified, MAX_ENTRIES),
    /** The cursor to ask from next time; `total`: how many this node holds. */
    next: int(),
    total: int(),
  }),
  /**
   * A committee for the next epoch (§11.4): `statement` alone asks a representative of the current
   * epoch to sign it; with `certificate` (the statement with more than 2/3 of the current weight) it is taken on.
   */
  epoch: shapeCodec(LEDGER_KIND.epoch, { statement: optional(epochHex), certificate: optional(epochHex) }),
  epochReply: shapeCodec(`${LEDGER_KIND.epoch}.reply`, { signature: optional(hex(64)), outcome: optional(literal('applied', 'known')) }),
  /** Epoch certificates from epoch `from` (1 is the first after the genesis). */
  epochs: shapeCodec(LEDGER_KIND.epochs, { from: units }),
  epochsReply: shapeCodec(`${LEDGER_KIND.epochs}.reply`, { certificates: list(epochHex, MAX_ENTRIES) }),
  /** Representatives this node caught voting twice at one (account, height), with the two certificates that prove it. */
  offences: emptyCodec(LEDGER_KIND.offences),
  offencesReply: shapeCodec(`${LEDGER_KIND.offences}.reply`, { offences: list(object({ culprits: list(nodeId, 1000, 1), a: certificateHex, b: certificateHex }), 64) }),
})

function optionalRefusal() {
  return { code: optional(refusal.code), error: optional(refusal.error) }
}

export type LedgerStatus = ValueOf<typeof LEDGER_CODECS.statusReply>
export type AccountReply = ValueOf<typeof LEDGER_CODECS.accountReply>
export type VoteItem = ValueOf<typeof LEDGER_CODECS.vote>['items'][number]

/** The epoch a certificate (in hex, as it travels) names, or 0 when it does not decode. */
export function certificateEpoch(hex: string): bigint {
  try {
    return decodeCertificate(hexToBytes(hex)).epoch
  } catch {
    return 0n
  }
}
