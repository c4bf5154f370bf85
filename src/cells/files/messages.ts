/**
 * The file-manager cell's messages (docs/protocol.md §9.5) and their codecs.
 * Manifests and removals travel as binary bodies (the signed envelope
 * itself); everything else is JSON.
 */
import { isKeyIdHex } from '../../core/crypto/key-id.js'
import { base64, bool, fail, int, list, optional, record, refusedAs, sha256Hex, type Check, type Infer } from '../../core/codec/checks.js'
import { binaryCodec, codecTable, shapeCodec } from '../../core/codec/codec.js'
import { membersCodecs } from '../../core/tree/member-list.js'

export const FILES_KIND = {
  members: 'files.members',
  put: 'files.manifest.put',
  get: 'files.manifest.get',
  has: 'files.manifest.has',
  list: 'files.manifest.list',
  rm: 'files.manifest.rm',
  audit: 'files.audit',
} as const

/** At most this many ids per `files.manifest.has`. */
export const MAX_HAS_IDS = 1024
/** More ids than a body may carry (64 MiB at 67 bytes an id): an owner's list is bounded by the transport, not here. */
const MAX_LIST_IDS = 1 << 20
/** A removal envelope is a few hundred bytes. */
const MAX_REMOVAL_BASE64 = 4096

/** An owner's key id; anything else is `invalid-input`, as receivers have always answered. */
const keyId: Check<string> = (value, at) => (isKeyIdHex(value) ? value : fail(at, 'must be a key id', 'invalid-input'))

const auditShape = {
  id: sha256Hex,
  chunks: int(),
  /** Fewest live copies found before repair. */
  fewest: int(),
  repaired: int(),
  expired: bool,
  /** The owner's removal was found on another file manager: the file is gone here too. */
  removed: optional(bool),
  /** Manifest copies made on file managers that lacked one. */
  manifestCopies: optional(int()),
}
export type AuditResult = Infer<typeof auditShape>

const members = membersCodecs(FILES_KIND.members)

/** Every kind the file-manager cell answers, requests and replies. */
export const FILES_CODECS = codecTable({
  members: members.request,
  membersReply: members.reply,
  /** The signed manifest. */
  put: binaryCodec(FILES_KIND.put),
  putReply: shapeCodec(`${FILES_KIND.put}.reply`, { id: sha256Hex, stored: bool }),
  get: shapeCodec(FILES_KIND.get, { id: sha256Hex }),
  /** The signed manifest. */
  getReply: binaryCodec(`${FILES_KIND.get}.reply`),
  has: shapeCodec(FILES_KIND.has, { ids: refusedAs('invalid-input', list(sha256Hex, MAX_HAS_IDS)) }),
  /** `removals`: the owner's signed removal (base64) of each asked id removed here. */
  hasReply: shapeCodec(`${FILES_KIND.has}.reply`, { have: list(bool, MAX_HAS_IDS), removals: record(base64(MAX_REMOVAL_BASE64), MAX_HAS_IDS, sha256Hex) }),
  list: shapeCodec(FILES_KIND.list, { owner: keyId }),
  listReply: shapeCodec(`${FILES_KIND.list}.reply`, { ids: list(sha256Hex, MAX_LIST_IDS) }),
  /** The owner's signed removal. */
  rm: binaryCodec(FILES_KIND.rm),
  rmReply: shapeCodec(`${FILES_KIND.rm}.reply`, { id: sha256Hex, removed: bool }),
  /** A request, or one-way (a reader after a get). */
  audit: shapeCodec(FILES_KIND.audit, { id: sha256Hex }),
  auditReply: shapeCodec(`${FILES_KIND.audit}.reply`, auditShape),
})
