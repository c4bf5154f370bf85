/**
 * A link's session keys (docs/protocol.md §4.5). The link's opening and its
 * acceptance are ordinary signed envelopes, each carrying a fresh X25519 public
 * key; both ends derive two 64-byte keys from the shared secret, salted with
 * the SHA-256 of both signed headers. From then on each side authenticates its
 * envelopes with HMAC-SHA-512 under its direction's key in the signature field
 * (flag bit 1), instead of an Ed25519 signature: the same bytes are covered,
 * for a few microseconds instead of a few hundred.
 *
 * All primitives are node:crypto's (OpenSSL in node, BoringSSL in bun).
 */
import { createHmac, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, timingSafeEqual, type KeyObject } from 'node:crypto'
import { BorgError } from '../errors.js'
import { equalBytes } from '../bytes.js'
import { sha256 } from '../crypto/hash.js'
import type { EnvelopeHeader } from '../envelope/codec.js'
import { encodeHeader } from '../envelope/codec.js'
import { verifyHeaderSignature, type EnvelopeSigner } from '../envelope/seal.js'
import type { Authenticate } from '../envelope/verifier.js'

export const X25519_KEY_BYTES = 32
export const LINK_KEY_BYTES = 64
/** HKDF's info: names the protocol and version, so keys never collide with another use of the secret. */
export const LINK_KDF_INFO = 'borg-link/1 keys'

// DER prefixes of X25519 keys (RFC 8410): the raw 32 bytes follow.
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex')
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex')

export interface LinkKeys {
  /** Authenticates what the link's opener sends. */
  opener: Uint8Array
  /** Authenticates what the accepting node sends. */
  acceptor: Uint8Array
}

/** One side's fresh X25519 key pair for one link. */
export class LinkEphemeral {
  private readonly privateKey: KeyObject
  readonly publicKey: Uint8Array

  /** A fresh pair; `privateKey` (32 raw bytes) only for worked examples and tests. */
  constructor(privateKey?: Uint8Array) {
    this.privateKey = privateKey
      ? createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, privateKey]), format: 'der', type: 'pkcs8' })
      : generateKeyPairSync('x25519').privateKey
    const publicKey = createPublicKey(this.privateKey)
    this.publicKey = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(X25519_SPKI_PREFIX.length))
  }

  /**
   * Both directions' keys: HKDF-SHA-256 over the X25519 shared secret, salt =
   * SHA-256(opening header ‖ acceptance header), the headers as sent (signature included).
   */
  derive(peerPublicKey: Uint8Array, opening: EnvelopeHeader, acceptance: EnvelopeHeader): LinkKeys {
    if (peerPublicKey.length !== X25519_KEY_BYTES) throw new BorgError('malformed', `a link key is ${X25519_KEY_BYTES} bytes, not ${peerPublicKey.length}`)
    let shared: Buffer
    try {
      const peer = createPublicKey({ key: Buffer.concat([X25519_SPKI_PREFIX, peerPublicKey]), format: 'der', type: 'spki' })
      shared = diffieHellman({ privateKey: this.privateKey, publicKey: peer })
    } catch (error) {
      throw new BorgError('malformed', `unusable link key: ${(error as Error).message}`)
    }
    // A low-order point gives an all-zero secret: the peer chose keys anyone could compute.
    if (shared.every((byte) => byte === 0)) throw new BorgError('malformed', 'unusable link key: low-order point')
    const salt = sha256(encodeHeader(opening), encodeHeader(acceptance))
    const okm = new Uint8Array(hkdfSync('sha256', shared, salt, LINK_KDF_INFO, 2 * LINK_KEY_BYTES))
    return { opener: okm.slice(0, LINK_KEY_BYTES), acceptor: okm.slice(LINK_KEY_BYTES) }
  }
}

/** HMAC-SHA-512 of an envelope's signed part: what fills the signature field of a link-authenticated envelope. */
export function linkMac(key: Uint8Array, signedPart: Uint8Array): Uint8Array {
  return createHmac('sha512', key).update(signedPart).digest()
}

/** Seals envelopes for one direction of a link: same key id as the node's signer, MAC instead of signature. */
export function linkSigner(keyId: Uint8Array, key: Uint8Array): EnvelopeSigner {
  return { keyId, sign: (signedPart) => linkMac(key, signedPart), linkMac: true }
}

/**
 * What a link accepts from its far end: envelopes from that one key id only,
 * each either link-authenticated under that direction's key (once there is
 * one) or signed as anywhere else.
 */
export function linkAuthenticator(peerKeyId: Uint8Array, key: () => Uint8Array | undefined): Authenticate {
  return (header, signedPart) => {
    if (!equalBytes(header.sender, peerKeyId)) {
      throw new BorgError('refused', `${header.kind} message on a link from another key than the one that opened it`)
    }
    if (!header.linkMac) return verifyHeaderSignature(header, signedPart)
    const current = key()
    if (!current) throw new BorgError('bad-signature', `${header.kind} message is link-authenticated before the link's keys exist`)
    if (!timingSafeEqual(linkMac(current, signedPart), header.signature)) {
      throw new BorgError('bad-signature', `bad link authentication on ${header.kind} message`)
    }
  }
}
