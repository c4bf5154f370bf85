/**
 * A removal: the owner's signed word that a file is gone (docs/protocol.md
 * §9.3). It is a signed envelope of kind `shard.removal`, no target, JSON body
 * `{"v":1,"id":"<file id>"}`, signed by the file's owner; its timestamp is
 * when the owner removed it. File managers keep it as a tombstone and pass it
 * on, so a copy of the manifest that missed the removal is dropped when it
 * meets one, and cannot be copied back. Anyone can check it: no file manager
 * has to be trusted to say that a file was removed.
 */
import { BorgError } from '../errors.js'
import { bytesToHex, utf8 } from '../bytes.js'
import { open, sealToBytes, type EnvelopeSigner } from '../envelope/seal.js'
import { documentJson } from '../envelope/document.js'
import { BodyType } from '../wire/message.js'
import type { Random } from '../wire/random.js'
import { isSha256Hex } from './names.js'
import type { Manifest } from './manifest.js'

export const REMOVAL_KIND = 'shard.removal'

export interface Removal {
  /** The file removed. */
  id: string
  /** Key id (hex) of the signer: it counts only if it owns the file. */
  owner: string
  /** When the owner removed it (the envelope's timestamp), Unix ms. */
  at: number
  /** The signed envelope, as kept and passed on. */
  bytes: Uint8Array
}

export function signRemoval(signer: EnvelopeSigner, id: string, at: number, random: Random): Removal {
  if (!isSha256Hex(id)) throw new BorgError('invalid-input', 'a removal names a file id (64 hex digits)')
  const body = utf8.encode(JSON.stringify({ v: 1, id }))
  return openRemoval(sealToBytes(signer, { kind: REMOVAL_KIND, body, bodyType: BodyType.json }, { timestamp: at, random }))
}

/** Decode and verify a removal (signature, kind, strict body); `expectedId`, when given, must be the file it names. */
export function openRemoval(bytes: Uint8Array, expectedId?: string): Removal {
  const { header, body } = open(bytes)
  const raw = documentJson(header, body, REMOVAL_KIND, 'removal')
  const b = raw as Record<string, unknown>
  if (typeof raw !== 'object' || raw === null || Object.keys(b).length !== 2 || b.v !== 1 || !isSha256Hex(b.id)) {
    throw new BorgError('malformed', 'malformed removal: the body must be exactly {"v":1,"id":"<file id>"}')
  }
  if (expectedId !== undefined && b.id !== expectedId) throw new BorgError('invalid-input', `the removal is of file ${b.id}, not ${expectedId}`)
  return { id: b.id, owner: bytesToHex(header.sender), at: header.timestamp, bytes }
}

/** Whether `removal` removes this manifest: signed by its owner, and not older than it (a later put of the same file stands). */
export function removes(removal: Removal, manifest: Pick<Manifest, 'id' | 'owner' | 'created'>): boolean {
  return removal.id === manifest.id && removal.owner === manifest.owner && removal.at >= manifest.created
}
