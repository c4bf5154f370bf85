/**
 * The signed envelope's byte layout (version 1). docs/protocol.md §2 is the
 * normative description; this file is its executable twin.
 *
 *   offset  size  field
 *   0       4     magic "BORG"
 *   4       1     version = 1
 *   5       1     flags: bit 0 = reply expected; bit 1 = link-authenticated
 *                 (the "signature" is a link session's MAC, net/link-keys.ts); other bits must be 0
 *   6       1     body type: 0 binary, 1 JSON (UTF-8)
 *   7       1     kind length k, 1..64
 *   8       k     kind, ASCII  [a-z][a-z0-9]*([._/-][a-z0-9]+)*
 *   .       s     sender key id: algorithm byte + public key
 *                 (0x01 secp256k1: 1+33 bytes; 0xed Ed25519: 1+32 bytes)
 *   .       1     target type: 0 none, 1 node, 2 tree
 *   .       t     target id: 0 bytes (none), a key id (node), 32 bytes (tree id)
 *   .       16    message id
 *   .       16    ref: id of the request this replies to, all zero if none
 *   .       8     timestamp, ms since the Unix epoch, unsigned big-endian
 *   .       8     body length n, unsigned big-endian, at most 2^53-1
 *   .       32    SHA-256 of the body
 *   .       64    signature over all bytes from offset 0 up to here
 *                 (secp256k1: ECDSA r||s of their SHA-256; Ed25519: RFC 8032 of the bytes;
 *                 flag bit 1: HMAC-SHA-512 of the bytes under the link's key)
 *   .       n     body
 */
import { MAX_KEY_ID_BYTES } from '../crypto/key-id.js'

export const MAGIC = Uint8Array.of(0x42, 0x4f, 0x52, 0x47) // "BORG"
export const VERSION = 1
export const FLAG_REPLY_EXPECTED = 0x01
/** The signature field holds HMAC-SHA-512 under a link session's key (docs/protocol.md §4.5): valid only on that link. */
export const FLAG_LINK_MAC = 0x02
export const KNOWN_FLAGS = FLAG_REPLY_EXPECTED | FLAG_LINK_MAC

export const TARGET_NONE = 0
export const TARGET_NODE = 1
export const TARGET_TREE = 2
export const TREE_ID_BYTES = 32

export const KIND_MAX_BYTES = 64
export const KIND_PATTERN = /^[a-z][a-z0-9]*(?:[._/-][a-z0-9]+)*$/

export const ID_BYTES = 16
export const TIMESTAMP_BYTES = 8
export const LENGTH_BYTES = 8
export const HASH_BYTES = 32
export const SIGNATURE_BYTES = 64

/** Bytes before the kind: magic, version, flags, body type, kind length. */
export const PREFIX_BYTES = 8
/** Largest possible header: a 64-byte kind, secp256k1 sender and node target. */
export const MAX_HEADER_BYTES =
  PREFIX_BYTES + KIND_MAX_BYTES + MAX_KEY_ID_BYTES + 1 + MAX_KEY_ID_BYTES + ID_BYTES * 2 + TIMESTAMP_BYTES + LENGTH_BYTES + HASH_BYTES + SIGNATURE_BYTES

export function isValidKind(kind: string): boolean {
  return kind.length >= 1 && kind.length <= KIND_MAX_BYTES && KIND_PATTERN.test(kind)
}
